// startKubeEnv({ persistent: true }): the local stack's cluster outlives a stop. What was stored is there after the
// next start, and a ServiceAccount token issued before the restart still authenticates.
import { AuthenticationV1Api, CoreV1Api } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startKubeEnv, type KubeEnv } from '../src/index.js';

const running: KubeEnv[] = [];
let directory: string | undefined;

afterAll(async () => {
  for (const env of running) await env.stop();
  if (directory) await rm(directory, { recursive: true, force: true });
});

async function start(dir: string): Promise<KubeEnv> {
  const env = await startKubeEnv({ directory: dir, persistent: true, installCrds: false });
  running.push(env);
  return env;
}

describe('startKubeEnv({ persistent: true })', () => {
  it('keeps objects and the service-account signing key across a stop and a start', async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'bdk-kube-kept-'));
    const first = await start(directory);
    const core = first.kubeConfig.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'kept' } } });
    await core.createNamespacedServiceAccount({ namespace: 'kept', body: { metadata: { name: 'caller' } } });
    const issued = await core.createNamespacedServiceAccountToken({
      namespace: 'kept',
      name: 'caller',
      body: { spec: { audiences: ['kept-test'], expirationSeconds: 3600 } },
    });
    const token = issued.status?.token ?? '';
    expect(token).not.toBe('');
    await first.stop();
    expect(existsSync(path.join(directory, 'etcd'))).toBe(true);

    const second = await start(directory);
    expect(second.kubeconfigPath).toBe(first.kubeconfigPath);
    const namespaces = await second.kubeConfig.makeApiClient(CoreV1Api).listNamespace();
    expect(namespaces.items.map((n) => n.metadata?.name)).toContain('kept');
    const review = await second.kubeConfig
      .makeApiClient(AuthenticationV1Api)
      .createTokenReview({ body: { spec: { token, audiences: ['kept-test'] } } });
    expect(review.status?.authenticated).toBe(true);
    expect(review.status?.user?.username).toBe('system:serviceaccount:kept:caller');
  }, 240_000);

  it('needs a directory to keep the state in', async () => {
    await expect(startKubeEnv({ persistent: true })).rejects.toThrow(/persistent needs a directory/);
  });
});
