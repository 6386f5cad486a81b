// `npm run --silent token -- --org <org> [--admin] [--sub <subject>] [--ttl <seconds>]`: prints one bearer token
// signed with the local stack's key (BDK_LOCAL_STACK_DIR, default .local-stack). The logic is @bdk/auth's
// runTokenCommand; the tooling build bundles this file into dist/tools/token.js, which the npm script runs.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { runTokenCommand } from '@bdk/auth';

/** The nearest directory holding nx.json: the workspace, whether this runs from tools/ or from dist/tools/. */
function workspaceRoot(dir: string): string {
  return existsSync(path.join(dir, 'nx.json')) || path.dirname(dir) === dir ? dir : workspaceRoot(path.dirname(dir));
}

process.exitCode = await runTokenCommand(process.argv.slice(2), {
  env: process.env,
  workspaceRoot: workspaceRoot(import.meta.dirname),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
