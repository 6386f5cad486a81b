// The harness's Kubernetes API: real etcd + kube-apiserver, used through @kubernetes/client-node, and gone
// without a trace after stop().
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { kubeGet, startKubeEnv, toolchainVersions, type KubeEnv } from '../src/index.js';

let env: KubeEnv;

beforeAll(async () => {
  env = await startKubeEnv();
}, 180_000);

afterAll(async () => {
  await env?.stop();
});

describe('startKubeEnv', () => {
  it('serves a real Kubernetes API that tells its true version', async () => {
    const version = JSON.parse((await kubeGet(env.kubeConfig, '/version')).body) as { gitVersion: string; major: string; minor: string };
    const pinned = toolchainVersions()['KUBERNETES_VERSION'] ?? '';
    expect(version).toMatchObject({ gitVersion: `v${pinned}`, major: '1', minor: pinned.split('.')[1] });
  });

  it('creates a namespace and a BookDefinition through @kubernetes/client-node', async () => {
    const core = env.kubeConfig.makeApiClient(CoreV1Api);
    const objects = env.kubeConfig.makeApiClient(CustomObjectsApi);
    await core.createNamespace({ body: { metadata: { name: 'harness' } } });
    await objects.createNamespacedCustomObject({
      group: 'bdk.voyager.io',
      version: 'v1',
      namespace: 'harness',
      plural: 'bookdefinitions',
      body: {
        apiVersion: 'bdk.voyager.io/v1',
        kind: 'BookDefinition',
        metadata: { name: 'hello-book' },
        spec: { name: 'hello', version: '0.1.0' },
      },
    });
    const read = (await objects.getNamespacedCustomObject({
      group: 'bdk.voyager.io',
      version: 'v1',
      namespace: 'harness',
      plural: 'bookdefinitions',
      name: 'hello-book',
    })) as { spec: { name: string } };
    expect(read.spec.name).toBe('hello');
  });

  it('refuses a client without credentials', async () => {
    const cluster = env.kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('no cluster');
    const anonymous = new KubeConfig();
    anonymous.loadFromClusterAndUser(cluster, { name: 'anonymous' });
    const { status } = await kubeGet(anonymous, '/api/v1/namespaces');
    expect([401, 403]).toContain(status);
  });
});

describe('stop', () => {
  it('ends etcd and kube-apiserver and removes their files', async () => {
    const local = await startKubeEnv({ installCrds: false });
    const dir = path.dirname(local.kubeconfigPath);
    expect(existsSync(dir)).toBe(true);
    await local.stop();
    await local.stop();
    expect(existsSync(dir)).toBe(false);
    await expect(kubeGet(local.kubeConfig, '/readyz')).rejects.toThrow();
  }, 180_000);
});
