// What the built `bdk` loads before it runs a command: every command but `bdk admin` talks REST to the gateway, so
// the Kubernetes client, NATS and SQLite of the backup code must stay out of its start-up (they cost seconds of CPU).
// A module hook in the child records every specifier the bundle imports.
import { describe, expect, it } from '@jest/globals';
import { workspaceRoot } from '@bdk/testing';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const bundle = path.join(workspaceRoot, 'dist/apps/cli/main.js');
const heavy = [/^@kubernetes\/client-node/, /^@nats-io\//, /^node:sqlite$/];

// Registered with --import: logs each specifier resolved, one per line, on stderr.
const recorder = `data:text/javascript,${encodeURIComponent(
  "import { registerHooks } from 'node:module';" +
    "registerHooks({ resolve(specifier, context, next) { process.stderr.write('IMPORT ' + specifier + '\\n'); return next(specifier, context); } });",
)}`;

function importsOf(args: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', recorder, bundle, ...args], { timeout: 30_000 }, (error, _stdout, stderr) => {
      if (error && error.killed) return reject(error);
      resolve(stderr.split('\n').filter((line) => line.startsWith('IMPORT ')).map((line) => line.slice('IMPORT '.length)));
    });
  });
}

describe('bdk start-up', () => {
  it('is built (nx run cli:build)', () => {
    expect(existsSync(bundle)).toBe(true);
  });

  it.each([['--help'], ['books', 'list', '--help'], ['instances', 'wait', '--help']])('bdk %s loads no Kubernetes, NATS or SQLite module', async (...args) => {
    const imports = await importsOf(args);
    expect(imports).toContain('commander');
    expect(imports.filter((specifier) => heavy.some((pattern) => pattern.test(specifier)))).toEqual([]);
  });

  it('bdk admin backup loads them when it runs', async () => {
    // The kubeconfig does not exist: the command fails, but only after its action has loaded the backup code.
    const imports = await importsOf(['admin', 'backup', '--kubeconfig', '/nonexistent/kubeconfig', '--out', '/nonexistent/dir/backup.bdk']);
    expect(imports.some((specifier) => /^@kubernetes\/client-node/.test(specifier))).toBe(true);
  });
});
