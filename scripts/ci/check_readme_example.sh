#!/usr/bin/env bash
# Checks that the C++ embedding example shown in README.md is examples/embedding/embedding.cpp,
# byte for byte, so the README only ever shows code the test suite compiles and runs.
#
# The README holds the example as one fenced code block between two marker lines:
#   <!-- embedding-example:begin -->
#   ```cpp
#   ...the file, verbatim...
#   ```
#   <!-- embedding-example:end -->
#
# Usage: scripts/ci/check_readme_example.sh [README.md] [examples/embedding/embedding.cpp]
# Exit status: 0 identical; 1 different (a diff is printed); 2 markers or fence missing/malformed.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
readme="${1:-$root/README.md}"
example="${2:-$root/examples/embedding/embedding.cpp}"
begin='<!-- embedding-example:begin -->'
end='<!-- embedding-example:end -->'

for f in "$readme" "$example"; do
  [ -r "$f" ] || { echo "check_readme_example: cannot read $f" >&2; exit 2; }
done
n_begin=$(grep -cxF -- "$begin" "$readme" || true)
n_end=$(grep -cxF -- "$end" "$readme" || true)
if [ "$n_begin" != 1 ] || [ "$n_end" != 1 ]; then
  echo "check_readme_example: $readme must contain the line '$begin' once and '$end' once" \
       "(found $n_begin and $n_end)" >&2
  exit 2
fi

extracted="$(mktemp)"
trap 'rm -f "$extracted"' EXIT
# Between the markers: exactly one block opened by a line "```cpp" and closed by a line "```";
# only blank lines may stand outside it.
if ! awk -v begin="$begin" -v end="$end" '
  $0 == begin { inside = 1; next }
  $0 == end   { inside = 0; done = 1; next }
  !inside { next }
  state == 0 && $0 == "```cpp" { state = 1; next }
  state == 1 && $0 == "```"    { state = 2; next }
  state == 1 { print; next }
  $0 != "" { bad = 1 }
  END { exit (done && state == 2 && !bad) ? 0 : 1 }
' "$readme" > "$extracted"; then
  echo "check_readme_example: between the markers in $readme expected exactly one" \
       "\`\`\`cpp ... \`\`\` block and nothing else" >&2
  exit 2
fi

if cmp -s "$extracted" "$example"; then
  echo "check_readme_example: $readme shows $example verbatim"
  exit 0
fi
echo "check_readme_example: the example in $readme differs from $example" \
     "(copy the file into the block between the markers):" >&2
diff -u --label "$example" --label "$readme (embedding example block)" "$example" "$extracted" >&2 || true
exit 1
