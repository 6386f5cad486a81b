// The built webhook-router bundle as its own process: syncs its routing cache from the Kubernetes API, starts,
// reports SERVING over gRPC health and ready over HTTP, exports metrics, logs JSON, and exits cleanly on
// SIGTERM; with bad configuration it refuses to start and names the variable.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { startApp, startKubeEnv, startProcess, workspaceRoot, type KubeEnv, type RunningApp } from '@bdk/testing';

let kube: KubeEnv | undefined;
let app: RunningApp | undefined;

beforeAll(async () => {
  kube = await startKubeEnv();
}, 60_000);

afterEach(async () => {
  await app?.stop();
  app = undefined;
});

afterAll(async () => {
  await kube?.stop();
});

const logLines = (running: RunningApp) =>
  running.process
    .output()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('webhook-router main', () => {
  it('serves gRPC health, readiness and metrics, and stops gracefully on SIGTERM', async () => {
    app = await startApp('webhook-router', { KUBECONFIG: kube?.kubeconfigPath ?? '', BDK_WEBHOOK_SECRET_GITHUB: 'main-test-secret' });
    expect(await app.healthStatus('bdk.v1.WebhookService')).toBe(1);
    expect((await fetch(`http://127.0.0.1:${app.adminPort}/readyz`)).status).toBe(200);
    expect(await (await fetch(`http://127.0.0.1:${app.adminPort}/metrics`)).text()).toContain('service="webhook-router"');
    expect(await app.stop()).toBe(0);
    expect(logLines(app)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ component: 'webhook-router', msg: 'webhook sources configured', signed: ['github'], unsigned: [] }),
        expect.objectContaining({ component: 'webhook-router', msg: 'routing cache synced', namespace: 'bdk' }),
        expect.objectContaining({ component: 'webhook-router', msg: 'gRPC server listening', port: app.grpcPort }),
        expect.objectContaining({ component: 'webhook-router', msg: 'shutting down', signal: 'SIGTERM' }),
      ]),
    );
    expect(app.process.output()).not.toContain('main-test-secret');
  });

  it('refuses to start with an empty webhook secret, naming the variable', async () => {
    const main = path.join(workspaceRoot, 'dist', 'apps', 'webhook-router', 'main.js');
    const proc = startProcess('webhook-router', process.execPath, [main], {
      env: { ...process.env, KUBECONFIG: kube?.kubeconfigPath ?? '', GRPC_PORT: '0', ADMIN_PORT: '0', BDK_WEBHOOK_SECRET_GITHUB: '' },
    });
    try {
      expect(await proc.exited).toBe(1);
      expect(proc.output()).toContain('BDK_WEBHOOK_SECRET_GITHUB is empty: a webhook secret must not be empty');
      expect(proc.output()).not.toContain('gRPC server listening');
    } finally {
      await proc.stop();
    }
  });
});
