#!/usr/bin/env bash
# Prepares the browser test of the web console (tests/browser, ctest label `browser`): installs
# puppeteer-core at the versions tests/browser/package-lock.json pins (`npm ci`; node_modules is
# git-ignored). The browser is Debian's chromium (scripts/setup.sh): puppeteer-core never
# downloads one. Needs node and npm: Debian's `npm` package is installed when npm is missing
# (a nodejs that ships its own npm is left alone).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v npm >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "browser setup: installing npm"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends npm >/dev/null
fi
cd tests/browser
npm ci --no-audit --no-fund --loglevel=error
echo "browser setup: puppeteer-core $(node -p "require('puppeteer-core/package.json').version"), browser $(chromium --version 2>/dev/null | tail -n 1 || echo 'missing: install chromium')"
