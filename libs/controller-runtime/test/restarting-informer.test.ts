// RestartingInformer against a real kube-apiserver: it caches what it lists and watches in the form `transform`
// gives, without managedFields, and reports adds, updates and deletes; and when its watch goes silent (a proxy
// in between keeps the connection open and forwards nothing), the watchdog notices and lists again, so changes
// made meanwhile reach the cache.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { startKubeEnv, waitUntil, type KubeEnv } from '@bdk/testing';
import { CoreV1Api, KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { RestartingInformer, type RestartingInformerOptions } from '../src/index.js';
import { startSilentProxy, type SilentProxy } from './silent-proxy.js';

const namespace = 'informer-test';
const labels = { app: 'informer-test' };
let env: KubeEnv;
let core: CoreV1Api;
let proxy: SilentProxy | undefined;
let informer: RestartingInformer<V1ConfigMap> | undefined;

beforeAll(async () => {
  env = await startKubeEnv({ installCrds: false });
  core = env.kubeConfig.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: namespace } } });
}, 180_000);

afterEach(async () => {
  await informer?.stop();
  informer = undefined;
  await proxy?.close();
  proxy = undefined;
  await core.deleteCollectionNamespacedConfigMap({ namespace, labelSelector: 'app=informer-test' });
});

afterAll(async () => {
  await env?.stop();
}, 60_000);

/** The same cluster and credentials, reached through `server`. */
function kubeConfigVia(server: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: env.kubeConfig.getClusters().map((cluster) => ({ ...cluster, server })),
    users: env.kubeConfig.getUsers(),
    contexts: env.kubeConfig.getContexts(),
    currentContext: env.kubeConfig.getCurrentContext(),
  });
  return kubeConfig;
}

interface Recorded {
  warnings: string[];
  changes: string[];
}

function configMapInformer(kubeConfig: KubeConfig, options: Partial<RestartingInformerOptions<V1ConfigMap>> = {}): { informer: RestartingInformer<V1ConfigMap>; recorded: Recorded } {
  const recorded: Recorded = { warnings: [], changes: [] };
  const api = kubeConfig.makeApiClient(CoreV1Api);
  const labelSelector = 'app=informer-test';
  const created = new RestartingInformer<V1ConfigMap>({
    name: 'configmaps',
    kubeConfig,
    path: `/api/v1/namespaces/${namespace}/configmaps`,
    labelSelector,
    list: () => api.listNamespacedConfigMap({ namespace, labelSelector }),
    logger: { warn: (message) => recorded.warnings.push(message) },
    onChange: (configMap) => recorded.changes.push(configMap.metadata?.name ?? ''),
    ...options,
  });
  return { informer: created, recorded };
}

const createConfigMap = (name: string, data: Record<string, string>, withLabels = labels) =>
  core.createNamespacedConfigMap({ namespace, body: { metadata: { name, namespace, labels: withLabels }, data } });

describe('RestartingInformer', () => {
  it('caches listed and watched objects in the form transform gives, without managedFields, and reports every change', async () => {
    const stored = await createConfigMap('listed', { kept: '1', dropped: 'a large value the controller never reads' });
    // What the apiserver holds does carry managedFields: the cache must be what leaves them out.
    expect(stored.metadata?.managedFields?.length).toBeGreaterThan(0);
    await createConfigMap('unlabelled', { kept: 'x' }, { app: 'something-else' });

    const made = configMapInformer(env.kubeConfig, {
      transform: (configMap) => ({ metadata: configMap.metadata, data: { kept: configMap.data?.['kept'] ?? '' } }),
    });
    informer = made.informer;
    await informer.start();
    await informer.synced();
    expect(informer.get('listed', namespace)).toEqual({ metadata: expect.not.objectContaining({ managedFields: expect.anything() }), data: { kept: '1' } });
    expect(informer.get('listed', namespace)?.metadata?.managedFields).toBeUndefined();
    expect(informer.get('unlabelled', namespace)).toBeUndefined();
    expect(made.recorded.changes).toEqual(['listed']);

    await createConfigMap('watched', { kept: '2', dropped: 'x' });
    const watched = await waitUntil('the created ConfigMap in the cache', () => informer?.get('watched', namespace));
    expect(watched).toEqual({ metadata: expect.objectContaining({ name: 'watched' }), data: { kept: '2' } });
    expect(watched.metadata?.managedFields).toBeUndefined();

    await core.replaceNamespacedConfigMap({ namespace, name: 'listed', body: { ...stored, data: { kept: '3' } } });
    await waitUntil('the updated ConfigMap in the cache', () => informer?.get('listed', namespace)?.data?.['kept'] === '3');
    await core.deleteNamespacedConfigMap({ namespace, name: 'watched' });
    await waitUntil('the deleted ConfigMap gone from the cache', () => informer?.get('watched', namespace) === undefined);
    expect(informer.list(namespace).map((configMap) => configMap.metadata?.name)).toEqual(['listed']);
    expect(made.recorded.changes).toEqual(['listed', 'watched', 'listed', 'watched']);
    expect(made.recorded.warnings).toEqual([]);
  });

  it('notices a watch gone silent and lists again, so changes made meanwhile reach the cache', async () => {
    proxy = await startSilentProxy(env.server);
    await createConfigMap('first', { n: '1' });
    const made = configMapInformer(kubeConfigVia(proxy.url), { silenceTimeoutMs: 2_000, listTimeoutMs: 2_000, minRestartDelayMs: 100 });
    informer = made.informer;
    await informer.start();
    await informer.synced();
    await createConfigMap('second', { n: '2' });
    await waitUntil('a change through the proxy', () => informer?.get('second', namespace));

    proxy.silenceOpenConnections();
    const silencedAt = Date.now();
    await createConfigMap('third', { n: '3' });
    await core.deleteNamespacedConfigMap({ namespace, name: 'first' });
    // The watch really is cut off: before the watchdog fires, nothing of this reaches the cache.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(informer.get('third', namespace)).toBeUndefined();
    expect(informer.get('first', namespace)).toBeDefined();

    await waitUntil('the changes made while the watch was silent', () => informer?.get('third', namespace) !== undefined && informer.get('first', namespace) === undefined, {
      timeoutMs: 15_000,
    });
    expect(Date.now() - silencedAt).toBeGreaterThanOrEqual(1_500);
    expect(made.recorded.warnings).toContain('watch silent, listing again');
    expect(made.recorded.changes.slice(-2).sort()).toEqual(['first', 'third']);

    // And the new watch works: a change now arrives without another silence.
    await createConfigMap('fourth', { n: '4' });
    await waitUntil('a change after the restart', () => informer?.get('fourth', namespace), { timeoutMs: 1_500 });
  }, 60_000);
});
