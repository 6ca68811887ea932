#!/usr/bin/env bash
# Fails when docs/cli-reference.md differs from a fresh generation from the program's `--help`
# (scripts/gen_cli_reference.sh). Usage: scripts/ci/check_cli_reference.sh [path/to/traverse]
set -euo pipefail
cd "$(dirname "$0")/../.."
fresh="$(mktemp)"
trap 'rm -f "$fresh"' EXIT
bash scripts/gen_cli_reference.sh "${1:-}" - >"$fresh"
if ! diff -u docs/cli-reference.md "$fresh"; then
  echo >&2
  echo "docs/cli-reference.md is out of date with the traverse --help texts." >&2
  echo "Regenerate it: bash scripts/gen_cli_reference.sh <path/to/traverse>" >&2
  exit 1
fi
echo "docs/cli-reference.md matches every --help"
