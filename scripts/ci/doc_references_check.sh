#!/usr/bin/env bash
# Fails when the project's docs, headers or sources point at something the repository does not
# contain. Scanned: README.md and every file under docs/, specs/, include/, src/ and apps/.
#  1. a "§" section citation (sections of a document outside the repository): name a section of
#     one of the project's own docs instead, e.g. docs/formats.md, "Runtime request";
#  2. a *.md file that does not exist: a name with a folder ("docs/x.md", "../x.md") must exist
#     relative to the mentioning file or to the repository root; a bare name ("x.md") must be the
#     name of some file in the repository;
#  3. a path under one of the repository's top-level folders (docs/, include/, src/, apps/,
#     scripts/, schemas/, specs/, tests/, examples/, bench/, cmake/) that does not exist as a file
#     or folder (text after a '<' or '*' placeholder is not checked).
# Prints each problem as "file:line: ..." and exits 1 if there is any.
set -euo pipefail
cd "$(dirname "$0")/../.."

mapfile -t repo_files < <(git ls-files --cached --others --exclude-standard)
all_files=$(printf '%s\n' "${repo_files[@]}")
declare -A basenames=()
for f in "${repo_files[@]}"; do
  basenames[${f##*/}]=1
done
mapfile -t scanned < <(printf '%s\n' "${repo_files[@]}" |
  grep -E '^(README\.md$|docs/|specs/|include/|src/|apps/)' |
  grep -vE '\.(wasm|png|jpg|gif|db|ico)$' | sort -u)

problems=0
problem() {
  echo "$1"
  problems=$((problems + 1))
}

exists_from() {  # <mentioning file> <path>: exists relative to the file's folder or the root
  local dir
  dir=$(dirname "$1")
  [ -e "$dir/$2" ] || [ -e "$2" ]
}

# A path cut at a placeholder ("cli_*_test.cpp" -> "cli_") must start some file's path.
prefix_exists() {  # <mentioning file> <prefix>
  local dir candidate
  dir=$(dirname "$1")
  for candidate in "$2" "$dir/$2"; do
    candidate=$(realpath -m --relative-to=. "$candidate")
    grep -qF -- "$candidate" <<<"$all_files" && return 0
  done
  return 1
}

# 1. Section citations of an outside document.
while IFS=: read -r file line _; do
  problem "$file:$line: cites a section with '§'; name a section of the project's docs instead"
done < <(grep -Hn '§' "${scanned[@]}" || true)

# 2. Markdown files.
while IFS=: read -r file line name; do
  if [[ "$name" == */* ]]; then
    exists_from "$file" "$name" || problem "$file:$line: mentions $name, which does not exist"
  elif [ -z "${basenames[$name]:-}" ]; then
    problem "$file:$line: mentions $name, which is not in the repository"
  fi
done < <(grep -HnoE '[A-Za-z0-9_./-]*[A-Za-z0-9_-]\.md\b' "${scanned[@]}" || true)

# 3. Paths under the repository's top-level folders.
while IFS=: read -r file line path; do
  path=${path#[^a-z]}
  path=${path%.}
  path=${path%,}
  cut=${path%%[<*]*}
  [ -n "$cut" ] || continue
  if [ "$cut" != "$path" ] && [ "${cut: -1}" != / ]; then
    prefix_exists "$file" "$cut" || problem "$file:$line: mentions $path, which matches nothing"
  else
    exists_from "$file" "$cut" || problem "$file:$line: mentions $cut, which does not exist"
  fi
done < <(grep -HnoE '(^|[^A-Za-z0-9_./-])(docs|include|src|apps|scripts|schemas|specs|tests|examples|bench|cmake)/[A-Za-z0-9_./<*-]*' "${scanned[@]}" || true)

if [ "$problems" -gt 0 ]; then
  echo "doc references: $problems problem(s)"
  exit 1
fi
echo "doc references: ${#scanned[@]} files, every mentioned document and path exists"
