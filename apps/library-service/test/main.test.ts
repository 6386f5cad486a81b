// The built library-service bundle as its own process: starts, reports SERVING over gRPC health and ready over HTTP,
// exports metrics, logs JSON, and exits cleanly on SIGTERM.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generateSigningKey } from '@bdk/auth';
import { startApp, startProcess, workspaceRoot, type RunningApp } from '@bdk/testing';

let app: RunningApp | undefined;
let dir = '';
let kubeconfig = '';
/** What the service needs besides a cluster: an issuer to trust and a token for the controller. */
let env: Record<string, string> = {};

// The service reads its kubeconfig at start and talks to the apiserver only per request: a cluster that is not
// there is enough to start it (library-service.test.ts has the real one).
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'library-main-'));
  kubeconfig = path.join(dir, 'kubeconfig');
  await writeFile(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: none, cluster: {server: "https://127.0.0.1:1"}}]',
      'users: [{name: none, user: {}}]',
      'contexts: [{name: none, context: {cluster: none, user: none}}]',
      'current-context: none',
    ].join('\n'),
  );
  const jwksFile = path.join(dir, 'jwks.json');
  await writeFile(jwksFile, JSON.stringify((await generateSigningKey()).publicJwks));
  const authConfig = path.join(dir, 'auth.json');
  await writeFile(authConfig, JSON.stringify({ issuers: [{ issuer: 'https://id.example.com', audiences: ['bdk'], jwksFile }] }));
  const tokenFile = path.join(dir, 'controller-token');
  await writeFile(tokenFile, 'not-a-real-token');
  env = { KUBECONFIG: kubeconfig, BDK_AUTH_CONFIG: authConfig, BDK_CONTROLLER_TOKEN_FILE: tokenFile };
});

afterEach(async () => {
  await app?.stop();
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('library-service main', () => {
  it('serves gRPC health, readiness and metrics, and stops gracefully on SIGTERM', async () => {
    app = await startApp('library-service', env);
    expect((await fetch(`http://127.0.0.1:${app.adminPort}/readyz`)).status).toBe(200);
    expect(await (await fetch(`http://127.0.0.1:${app.adminPort}/metrics`)).text()).toContain('service="library-service"');
    expect(await app.stop()).toBe(0);
    const lines = app.process.output().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ component: 'library-service', msg: 'gRPC server listening', port: app.grpcPort }),
        expect.objectContaining({ component: 'library-service', msg: 'shutting down', signal: 'SIGTERM' }),
      ]),
    );
  });

  it('refuses to start without an issuer to trust, naming the variable', async () => {
    const { BDK_AUTH_CONFIG: _unset, ...withoutAuth } = env;
    const proc = startProcess('library-service', process.execPath, [path.join(workspaceRoot, 'dist/apps/library-service/main.js')], {
      env: { ...process.env, ...withoutAuth, BDK_AUTH_CONFIG: '', GRPC_PORT: '0', ADMIN_PORT: '0' },
    });
    expect(await proc.exited).toBe(1);
    expect(proc.output()).toContain('BDK_AUTH_CONFIG');
  });
});
