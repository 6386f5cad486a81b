#!/usr/bin/env bash
# `npm start [-- --fresh]`: builds what the local stack runs (generated code, the apps, the stack itself) through
# Nx and its cache, then runs it in the foreground. Its state is kept across runs; --fresh (or BDK_LOCAL_FRESH=1)
# wipes it first. `npm stop` (tools/stop.sh) stops it from another terminal.
set -euo pipefail
cd "$(dirname "$0")/.."
# Everything below, Nx and the commands it spawns, runs on the pinned Node 24, not the machine's node.
export PATH="$PWD/node_modules/.bin:$PATH"
node_modules/.bin/nx run-many --targets=build --projects=library-service,book-controller,webhook-router,tooling --outputStyle=static
exec node_modules/.bin/node --enable-source-maps dist/tools/local-stack/main.js "$@"
