// The built book-controller bundle as its own process: refuses to start without a cluster, reports ready once
// its caches are synced, serves BookControllerService, exports metrics, logs JSON, and stops its controller and
// servers cleanly on SIGTERM.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { ServingStatus } from '@bdk/service-runtime';
import { startApp, startKubeEnv, startProcess, workspaceRoot, type KubeEnv, type ManagedProcess, type RunningApp } from '@bdk/testing';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

let env: KubeEnv | undefined;
let app: RunningApp | undefined;
let bare: ManagedProcess | undefined;
let home: string | undefined;

beforeAll(async () => {
  env = await startKubeEnv();
}, 120_000);

afterEach(async () => {
  await app?.stop();
  await bare?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

afterAll(async () => {
  await env?.stop();
}, 60_000);

describe('book-controller main', () => {
  it('serves gRPC health, readiness and metrics once its caches sync, and stops gracefully on SIGTERM', async () => {
    app = await startApp('book-controller', { KUBECONFIG: env?.kubeconfigPath ?? '', BDK_NAMESPACE: 'bdk' });
    expect((await fetch(`http://127.0.0.1:${app.adminPort}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${app.adminPort}/metrics`)).text();
    expect(metrics).toContain('service="book-controller"');
    expect(metrics).toContain('bdk_controller_reconcile_total');
    expect(await app.healthStatus('bdk.v1.BookControllerService')).toBe(ServingStatus.SERVING);
    expect(await app.stop()).toBe(0);
    const lines = app.process.output().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const messages = lines.map((line) => line['msg']);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ component: 'book-controller', msg: 'gRPC server listening', port: app.grpcPort }),
        expect.objectContaining({ component: 'book-controller', msg: 'caches synced', namespace: 'bdk' }),
        expect.objectContaining({ component: 'book-controller', msg: 'shutting down', signal: 'SIGTERM' }),
      ]),
    );
    // Order of a graceful stop: RPCs drain, then the reconciles under way finish, then the process exits.
    expect(messages.indexOf('gRPC server stopped')).toBeLessThan(messages.indexOf('controller stopped'));
  });

  it('exits naming the variable when a caller identity is not a ServiceAccount username', async () => {
    const processEnv: NodeJS.ProcessEnv = {
      ...process.env,
      KUBECONFIG: env?.kubeconfigPath ?? '',
      BDK_WEBHOOK_ROUTER_IDENTITY: 'webhook-router',
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: '0',
      ADMIN_PORT: '0',
    };
    bare = startProcess('book-controller', process.execPath, [path.join(workspaceRoot, 'dist', 'apps', 'book-controller', 'main.js')], { env: processEnv });
    expect(await bare.exited).toBe(1);
    expect(bare.output()).toContain('BDK_WEBHOOK_ROUTER_IDENTITY must be a ServiceAccount username');
  });

  it('exits with a clear message when no cluster is configured', async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'bdk-no-kube-'));
    const processEnv: NodeJS.ProcessEnv = { ...process.env, HOME: home, GRPC_HOST: '127.0.0.1', GRPC_PORT: '0', ADMIN_PORT: '0' };
    delete processEnv['KUBECONFIG'];
    bare = startProcess('book-controller', process.execPath, [path.join(workspaceRoot, 'dist', 'apps', 'book-controller', 'main.js')], { env: processEnv });
    expect(await bare.exited).toBe(1);
    expect(bare.output()).toContain('no Kubernetes cluster configured');
  });
});
