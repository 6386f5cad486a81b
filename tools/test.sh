#!/usr/bin/env bash
# `npm test`: every project's lint (ESLint with the module-boundary rules, buf lint), typecheck, tests
# (unit and integration against the real kube-apiserver and Envoy) and build, through Nx and its cache.
# Ends with one line that sums every Jest run, cached or not.
set -euo pipefail
cd "$(dirname "$0")/.."
# Everything below, Nx and the commands it spawns, runs on the pinned Node 24, not the machine's node.
export PATH="$PWD/node_modules/.bin:$PATH"

results=dist/test-results
status=0
rm -rf "$results" # cached test runs restore theirs from the Nx cache
node_modules/.bin/nx run-many --targets=lint,typecheck,test,build --outputStyle=stream "$@" || status=$?

node --input-type=module - "$results" <<'JS'
import { readdirSync, readFileSync } from 'node:fs';
const dir = process.argv[2];
let passed = 0, failed = 0, skipped = 0;
let files = [];
try { files = readdirSync(dir, { recursive: true }).filter((f) => f.endsWith('.json')); } catch { /* no test ran */ }
for (const file of files) {
  const r = JSON.parse(readFileSync(`${dir}/${file}`, 'utf8'));
  passed += r.numPassedTests; failed += r.numFailedTests; skipped += r.numPendingTests + r.numTodoTests;
}
console.log(`\nJest, all projects (${files.length}): ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
JS
exit $status
