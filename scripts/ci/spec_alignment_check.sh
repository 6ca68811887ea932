#!/usr/bin/env bash
# Checks that tests and governing specs agree:
#  1. every test source (tests/**/*.cpp) declares `// Governing spec: <id>` in its header comment;
#  2. every declared spec is listed in specs/README.md and has its file specs/<id>.md;
#  3. every spec listed in specs/README.md is declared by at least one test.
# Prints each problem and exits 1 if there is any.
set -euo pipefail
cd "$(dirname "$0")/../.."

index=specs/README.md
mapfile -t listed < <(grep -oE '^\| *[0-9]{3}-[a-z0-9-]+ *\|' "$index" | tr -d '| ' | sort -u)
problems=0
declare -A declared=()
# A set, not a pipe into `grep -q`: under pipefail, grep exiting at its first match can fail
# the writer with SIGPIPE and the check with it.
declare -A is_listed=()
for spec in "${listed[@]}"; do
  is_listed[$spec]=1
done

while IFS= read -r -d '' file; do
  spec=$(head -n 5 "$file" | sed -nE 's|^// Governing spec: *([0-9]{3}-[a-z0-9-]+).*|\1|p' | head -n 1)
  if [ -z "$spec" ]; then
    echo "missing '// Governing spec: <id>' header: $file"
    problems=$((problems + 1))
    continue
  fi
  declared[$spec]=1
  if [ -z "${is_listed[$spec]:-}" ]; then
    echo "$file declares spec $spec, which is not in $index"
    problems=$((problems + 1))
  elif [ ! -f "specs/$spec.md" ]; then
    echo "$file declares spec $spec, but specs/$spec.md does not exist"
    problems=$((problems + 1))
  fi
done < <(find tests -name '*.cpp' -not -path '*/install/consumer/*' -print0 | sort -z)

for spec in "${listed[@]}"; do
  if [ -z "${declared[$spec]:-}" ]; then
    echo "spec $spec is listed in $index but no test declares it"
    problems=$((problems + 1))
  fi
done

if [ "$problems" -gt 0 ]; then
  echo "spec alignment: $problems problem(s)"
  exit 1
fi
echo "spec alignment: ${#listed[@]} specs, $(printf '%s\n' "${!declared[@]}" | wc -l) declared by tests, all aligned"
