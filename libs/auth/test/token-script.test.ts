// `npm run token` end to end: tools/token.ts bundled the way the tooling build bundles it, run by Node with the
// local stack's state directory in BDK_LOCAL_STACK_DIR.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { writeLocalSigningKey } from '../src/local-signing-key.js';
import { organizationPermissions } from '../src/permissions.js';
import { createTokenVerifier } from '../src/verifier.js';

const workspaceRoot = path.resolve(import.meta.dirname, '../../..');
let bundleDir: string;
let stateDir: string;
let script: string;

beforeAll(async () => {
  // Inside the workspace, so the bundle's package imports resolve from its node_modules as dist/tools/token.js's do.
  await mkdir(path.join(workspaceRoot, 'dist'), { recursive: true });
  bundleDir = await mkdtemp(path.join(workspaceRoot, 'dist', 'auth-token-test-'));
  stateDir = await mkdtemp(path.join(os.tmpdir(), 'bdk-local-stack-'));
  script = path.join(bundleDir, 'token.js');
  await build({
    absWorkingDir: workspaceRoot,
    entryPoints: ['tools/token.ts'],
    outfile: script,
    tsconfig: 'tools/tsconfig.json',
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    packages: 'external',
    logLevel: 'error',
  });
});
afterAll(async () => {
  await rm(bundleDir, { recursive: true, force: true });
  await rm(stateDir, { recursive: true, force: true });
});

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      env: { ...process.env, NODE_OPTIONS: '', BDK_LOCAL_STACK_DIR: stateDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the token script', () => {
  it('exits 1 with a hint when the local stack has not made a key', async () => {
    expect(await run(['--org', 'acme'])).toEqual({ code: 1, stdout: '', stderr: 'no local signing key: start the local stack with `npm start` first\n' });
  });

  it('prints only a token of the local issuer for the organisation', async () => {
    const identity = { issuer: 'https://bdk.local/issuer', audience: 'bdk' };
    const { jwksFile } = await writeLocalSigningKey(path.join(stateDir, 'auth'), identity);
    const { code, stdout, stderr } = await run(['--org', 'acme', '--sub', 'alice']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);

    const verifier = createTokenVerifier({
      issuers: [{ issuer: identity.issuer, audiences: [identity.audience], jwksFile, organizationClaim: 'org_id', permissionsClaim: 'permissions' }],
      clockToleranceSeconds: 0,
    });
    const principal = await verifier.verify(stdout.trim());
    expect(principal).toMatchObject({ subject: 'alice', organizationId: 'acme' });
    expect([...principal.permissions].sort()).toEqual([...organizationPermissions].sort());
  });
});
