#!/usr/bin/env bash
# Runs Jest for one project with ESM support (Jest's ESM mode needs the VM-modules flag), always on the
# project's pinned Node (node_modules/.bin/node), whatever node is first on PATH.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export NODE_OPTIONS="${NODE_OPTIONS:-} --experimental-vm-modules --no-warnings=ExperimentalWarning"
project=$1
results="$root/dist/test-results/$project.json"
mkdir -p "$(dirname "$results")"
# The JSON summary is an Nx output of the test target, so a cached run still counts in tools/test.sh.
exec "$root/node_modules/.bin/node" "$root/node_modules/jest/bin/jest.js" --config "$project/jest.config.js" \
  --json --outputFile="$results" "${@:2}"
