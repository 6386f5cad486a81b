#!/usr/bin/env bash
# `npm start`: builds what the local stack runs (generated code, the apps, the stack itself) through Nx and
# its cache, then runs it in the foreground.
set -euo pipefail
cd "$(dirname "$0")/.."
node_modules/.bin/nx run-many --targets=build --projects=library-service,book-controller,webhook-router,tooling --outputStyle=static
exec node_modules/.bin/node --enable-source-maps dist/tools/local-stack/main.js
