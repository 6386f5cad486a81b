// The built webhook-router bundle as its own process: starts without any Kubernetes API, reports SERVING over gRPC
// health and ready over HTTP, exports metrics, logs JSON, and exits cleanly on SIGTERM; with configuration missing
// or wrong it refuses to start and names the variable.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { startApp, startProcess, workspaceRoot, type RunningApp } from '@bdk/testing';
import { createRouterIdentity, issuer, type RouterIdentity } from './router-identity.js';

const controllerToken = 'main-test-controller-token';
let identity: RouterIdentity | undefined;
let app: RunningApp | undefined;

beforeAll(async () => {
  identity = await createRouterIdentity(controllerToken);
});

afterEach(async () => {
  await app?.stop();
  app = undefined;
});

afterAll(async () => {
  await identity?.remove();
});

const logLines = (running: RunningApp) =>
  running.process
    .output()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);

/** Runs the bundle with `env` on top of a clean environment and expects it to refuse to start. */
async function refusal(env: Record<string, string>): Promise<string> {
  const main = path.join(workspaceRoot, 'dist', 'apps', 'webhook-router', 'main.js');
  // Nothing of the test's own environment may stand in for a variable under test.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('BDK_') && name !== 'KUBECONFIG'));
  const proc = startProcess('webhook-router', process.execPath, [main], {
    env: { ...inherited, GRPC_HOST: '127.0.0.1', GRPC_PORT: '0', ADMIN_PORT: '0', ...env },
  });
  try {
    expect(await proc.exited).toBe(1);
    expect(proc.output()).not.toContain('gRPC server listening');
    return proc.output();
  } finally {
    await proc.stop();
  }
}

describe('webhook-router main', () => {
  it('serves gRPC health, readiness and metrics with no Kubernetes API, and stops gracefully on SIGTERM', async () => {
    app = await startApp('webhook-router', { ...identity?.env, KUBECONFIG: '/nonexistent/kubeconfig', BDK_CONTROLLER_URL: 'http://127.0.0.1:9' });
    expect(await app.healthStatus('bdk.v1.WebhookService')).toBe(1);
    expect((await fetch(`http://127.0.0.1:${app.adminPort}/readyz`)).status).toBe(200);
    expect(await (await fetch(`http://127.0.0.1:${app.adminPort}/metrics`)).text()).toContain('service="webhook-router"');
    expect(await app.stop()).toBe(0);
    expect(logLines(app)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          component: 'webhook-router',
          msg: 'webhook-router configured',
          controllerUrl: 'http://127.0.0.1:9',
          timestampToleranceSeconds: 300,
          subscriberCacheMs: 5000,
          issuers: [issuer],
        }),
        expect.objectContaining({ component: 'webhook-router', msg: 'gRPC server listening', port: app.grpcPort }),
        expect.objectContaining({ component: 'webhook-router', msg: 'shutting down', signal: 'SIGTERM' }),
      ]),
    );
    expect(app.process.output()).not.toContain(controllerToken);
  });

  it('refuses to start without BDK_CONTROLLER_TOKEN_FILE, naming the variable', async () => {
    const output = await refusal({ BDK_AUTH_CONFIG: identity?.authConfigFile ?? '' });
    expect(output).toContain('BDK_CONTROLLER_TOKEN_FILE is not set');
  });

  it('refuses to start when the controller token file cannot be read, naming the variable', async () => {
    const output = await refusal({ ...identity?.env, BDK_CONTROLLER_TOKEN_FILE: '/nonexistent/token' });
    expect(output).toContain('BDK_CONTROLLER_TOKEN_FILE: cannot read a token from /nonexistent/token');
  });

  it('refuses to start without BDK_AUTH_CONFIG: authentication is not optional', async () => {
    const output = await refusal({ BDK_CONTROLLER_TOKEN_FILE: identity?.controllerTokenFile ?? '' });
    expect(output).toContain('BDK_AUTH_CONFIG is not set');
  });

  it('refuses to start with a timestamp tolerance that is not a whole number of seconds', async () => {
    const output = await refusal({ ...identity?.env, BDK_WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS: '5m' });
    expect(output).toContain('BDK_WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS must be a whole number of seconds from 1 to 3600');
  });
});
