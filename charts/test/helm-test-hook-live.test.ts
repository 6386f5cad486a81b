// The book-controller's `helm test` Pod script against the real controller: its built bundle running on loopback
// with a real kube-apiserver and the ServiceAccount identities it accepts. The hook passes (ready, and the internal
// API refuses the token-less call as UNAUTHENTICATED), and fails once the controller is gone. Needs
// `nx build book-controller` (the charts' test target depends on it).
import type { V1Pod } from '@kubernetes/client-node';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { setUpPlatformIdentity, startApp, startKubeEnv, Teardown, type RunningApp } from '@bdk/testing';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { assertGenerated, render } from './helm.js';

const teardown = new Teardown();
let controller: RunningApp | undefined;
let hook: V1Pod;

beforeAll(async () => {
  assertGenerated();
  hook = (await render('book-controller', { release: 'bdk', namespace: 'bdk' })).one<V1Pod>('Pod', 'bdk-book-controller-test-internal-api');
  const kube = await startKubeEnv();
  teardown.add('kube-apiserver', () => kube.stop());
  await kube.kubeConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: 'bdk' } } });
  const identityDir = await mkdtemp(path.join(os.tmpdir(), 'bdk-identity-'));
  teardown.add('identity files', () => rm(identityDir, { recursive: true, force: true }));
  const identity = await setUpPlatformIdentity(kube.kubeConfig, { directory: identityDir, namespace: 'bdk' });
  controller = await startApp('book-controller', { KUBECONFIG: kube.kubeconfigPath, BDK_NAMESPACE: 'bdk', BDK_LEADER_ELECTION: 'false', ...identity.env.controller });
  teardown.add('book-controller', async () => controller?.stop());
}, 180_000);

afterAll(() => teardown.run());

/** Runs the hook Pod's script with its two URLs pointed at the controller's admin and gRPC ports; resolves with its exit code and output. */
function runHook(adminPort: number, grpcPort: number): Promise<{ code: number; stdout: string }> {
  const [, ...args] = hook.spec?.containers[0]?.command ?? [];
  const urls = [`http://127.0.0.1:${adminPort}/readyz`, `http://127.0.0.1:${grpcPort}`];
  return new Promise((resolve) => {
    execFile(process.execPath, [...args.slice(0, -2), ...urls], { timeout: 30_000 }, (error, stdout) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout }));
  });
}

describe('book-controller helm test hook, against the real controller', () => {
  it('passes: /readyz is 200 and a DispatchTrigger without a token is refused with grpc-status 16', async () => {
    const result = await runHook(controller?.adminPort ?? 0, controller?.grpcPort ?? 0);
    expect(result.stdout).toContain('/readyz: 200');
    expect(result.stdout).toContain('DispatchTrigger without a token: grpc-status 16');
    expect(result.code).toBe(0);
  });

  it('fails once the controller has stopped', async () => {
    const { adminPort, grpcPort } = controller ?? { adminPort: 0, grpcPort: 0 };
    await controller?.stop();
    expect((await runHook(adminPort, grpcPort)).code).not.toBe(0);
  });
});
