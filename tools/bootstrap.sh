#!/usr/bin/env bash
# Installs what a fresh clone lacks and reuses what is there: npm packages (including the pinned Node 24 in
# node_modules/.bin/node) and the toolchain in .tools/. Runs before `npm start` and `npm test`.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ! -x node_modules/.bin/node || ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "bootstrap: installing npm packages (npm ci)"
  npm ci --no-audit --no-fund
fi
bash tools/install-toolchain.sh
