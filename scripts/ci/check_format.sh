#!/usr/bin/env bash
# Fails when a C++ source under include/, src/, apps/, tests/, bench/ or examples/ is not
# clang-formatted with the repository's .clang-format.
set -euo pipefail
cd "$(dirname "$0")/../.."
mapfile -t files < <(git ls-files 'include/*.hpp' 'include/*.h' 'src/*.cpp' 'src/*.c' 'src/*.hpp' 'apps/*.cpp' 'apps/*.hpp' \
  'tests/*.cpp' 'tests/*.hpp' 'bench/*.cpp' 'examples/*.cpp' 'examples/*.c' 'examples/*.h')
bad=()
for f in "${files[@]}"; do
  clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ ${#bad[@]} -gt 0 ]; then
  printf 'not clang-formatted (run clang-format -i):\n'; printf '  %s\n' "${bad[@]}"
  exit 1
fi
echo "format: ${#files[@]} files clean"
