#!/usr/bin/env node
// The `bdk` command of a checkout (the root package's bin, so `npx bdk` works after the build): runs the built
// bundle, dist/apps/cli/main.js, on the workspace's pinned Node; on any other Node it starts the pinned one.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const workspaceRoot = path.resolve(import.meta.dirname, '../../..');
const bundle = path.join(workspaceRoot, 'dist/apps/cli/main.js');
const pinnedNode = path.join(workspaceRoot, 'node_modules/.bin/node');

if (!existsSync(bundle)) {
  process.stderr.write('bdk is not built yet: run `npx nx build cli` in the checkout first\n');
  process.exit(1);
}

const pinnedMajor = process.versions.node.split('.')[0] === '24';
if (pinnedMajor || !existsSync(pinnedNode)) {
  await import(pathToFileURL(bundle).href);
} else {
  const child = spawnSync(pinnedNode, [bundle, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(child.status ?? 1);
}
