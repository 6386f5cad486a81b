// The benchmark's input: N instances as BDK's API leaves them before the controller acts. For each, in the order
// the API works (StoreInstanceSecrets, then the custom resource): the customer namespace as the controller's
// namespace check creates it (managed by BDK for the organisation, Pod Security restricted), the credentials Secret
// as StoreInstanceSecrets writes it (labelled with its purpose, so the controller watches it), then the
// BookInstanceDefinition. Each instance has a namespace and an organisation of its own, as 1,000 customers would.
import {
  bdkLabels,
  customerNamespaceLabels,
  instanceObjectMetadata,
  labelSelector,
  secretPurposes,
  type BdkResources,
  type BookDefinition,
  type BookInstanceDefinition,
} from '@bdk/k8s';
import { CoreV1Api, type KubeConfig, type V1Secret } from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import { credentialReferences } from '../src/instance/credentials.js';
import { identify } from '../src/instance/desired-objects.js';
import { seedInstance } from '../test/fixtures.js';
import { forEachConcurrently } from './work-pool.js';

/** On every customer namespace the benchmark creates: which side of the comparison it belongs to. */
export const benchSideLabel = 'bench.bdk.voyager.io/side';
export type BenchSide = 'baseline' | 'controller';

export interface BenchInstance {
  instance: BookInstanceDefinition;
  /** The credential values, as the API received them (the plain client digests them as the controller does). */
  secret: V1Secret;
}

function credentialsSecret(instance: BookInstanceDefinition, book: BookDefinition, organizationId: string): V1Secret {
  const id = identify(instance, book);
  const metadata = instanceObjectMetadata(id);
  const [reference] = credentialReferences(id, instance);
  const values = Object.fromEntries(credentialReferences(id, instance).map(({ key }) => [key, Buffer.from(`${key}-${id.instanceId}`).toString('base64')]));
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: reference?.secret ?? '',
      namespace: id.customerNamespace,
      labels: { ...metadata.labels, [bdkLabels.organizationId]: organizationId, [bdkLabels.secretPurpose]: secretPurposes.credentials },
      annotations: metadata.annotations,
    },
    type: 'Opaque',
    data: values,
  };
}

export async function createInstances(options: {
  kubeConfig: KubeConfig;
  resources: BdkResources;
  bdkNamespace: string;
  book: BookDefinition;
  side: BenchSide;
  count: number;
  concurrency: number;
}): Promise<BenchInstance[]> {
  const { kubeConfig, resources, bdkNamespace, book, side, count } = options;
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const created: BenchInstance[] = [];
  const indices = Array.from({ length: count }, (_, i) => i);
  await forEachConcurrently(indices, options.concurrency, async (i) => {
    const customerNamespace = `bench-${side}-${String(i).padStart(4, '0')}`;
    const organizationId = `org-bench-${i}`;
    await core.createNamespace({ body: { metadata: { name: customerNamespace, labels: { ...customerNamespaceLabels(organizationId), [benchSideLabel]: side } } } });
    const draft = seedInstance({ namespace: bdkNamespace, customerNamespace, book, instanceId: randomUUID(), organizationId });
    const secret = await core.createNamespacedSecret({ namespace: customerNamespace, body: credentialsSecret(draft, book, organizationId) });
    const instance = await resources.instances.create(bdkNamespace, draft);
    created.push({ instance, secret });
  });
  // kube-controller-manager gives each new namespace a `default` ServiceAccount (without which no Pod is admitted)
  // and the kube-root-ca.crt ConfigMap: done before either side is timed, so neither waits on it nor counts it.
  const names = new Set(created.map(({ instance }) => instance.spec.customer.namespace));
  const deadline = Date.now() + 120_000;
  for (;;) {
    const accounts = (await core.listServiceAccountForAllNamespaces({ fieldSelector: 'metadata.name=default' })).items;
    const configMaps = (await core.listConfigMapForAllNamespaces({ fieldSelector: 'metadata.name=kube-root-ca.crt' })).items;
    const ready = (items: { metadata?: { namespace?: string } }[]) => items.filter((item) => names.has(item.metadata?.namespace ?? '')).length;
    if (ready(accounts) === names.size && ready(configMaps) === names.size) return created;
    if (Date.now() > deadline) throw new Error(`kube-controller-manager has not set up every new namespace after 120 s`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

/**
 * Removes one side's instances (their finalizers first: nothing runs to honour them) and customer namespaces, and
 * waits until the apiserver no longer lists a single one of those namespaces, so that the next side starts on a
 * cluster that is not still deleting Pods.
 */
export async function deleteInstances(options: {
  kubeConfig: KubeConfig;
  resources: BdkResources;
  bdkNamespace: string;
  side: BenchSide;
  instances: readonly BenchInstance[];
  concurrency: number;
  timeoutMs: number;
}): Promise<void> {
  const { kubeConfig, resources, bdkNamespace, side } = options;
  const core = kubeConfig.makeApiClient(CoreV1Api);
  await forEachConcurrently(options.instances, options.concurrency, async ({ instance }) => {
    const name = instance.metadata.name ?? '';
    await resources.instances.mergePatch(bdkNamespace, name, { metadata: { finalizers: null } });
    await resources.instances.delete(bdkNamespace, name);
  });
  const selector = labelSelector({ [benchSideLabel]: side });
  const namespaces = (await core.listNamespace({ labelSelector: selector })).items.map((n) => n.metadata?.name ?? '');
  await forEachConcurrently(namespaces, options.concurrency, async (name) => {
    await core.deleteNamespace({ name }).catch((error: { code?: number }) => {
      if (error.code !== 404) throw error;
    });
  });
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const left = (await core.listNamespace({ labelSelector: selector })).items.length;
    if (left === 0) return;
    if (Date.now() > deadline) throw new Error(`${left} ${side} namespaces still not deleted after ${options.timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}
