// The benchmark's input: N instances as BDK's API leaves them before the controller acts, each in a customer
// namespace and organisation of its own, as 1,000 customers would have. The namespaces are made once, as the
// controller's namespace check creates them (managed by BDK for the organisation, Pod Security restricted), and
// serve both sides; each side then gets, per namespace and in the order the API works (StoreInstanceSecrets, then
// the custom resource), a credentials Secret as StoreInstanceSecrets writes it (labelled with its purpose, so the
// controller watches it) and a BookInstanceDefinition.
import {
  bdkLabels,
  bookInstanceDefinitionResource,
  customerNamespaceLabels,
  externalBookDefinitionResource,
  instanceObjectMetadata,
  labelSelector,
  managedByBdk,
  secretPurposes,
  type BdkResources,
  type BookDefinition,
  type BookInstanceDefinition,
} from '@bdk/k8s';
import { AppsV1Api, CoreV1Api, CustomObjectsApi, NetworkingV1Api, type KubeConfig, type V1Secret } from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import { credentialReferences } from '../src/instance/credentials.js';
import { identify } from '../src/instance/desired-objects.js';
import { seedInstance } from '../test/fixtures.js';
import { forEachConcurrently } from './work-pool.js';

export interface BenchInstance {
  instance: BookInstanceDefinition;
  /** The credential values, as the API received them (the plain client digests them as the controller does). */
  secret: V1Secret;
}

const managed = labelSelector({ [bdkLabels.managedBy]: managedByBdk });
const customerNamespace = (i: number) => `bench-${String(i).padStart(4, '0')}`;
const organizationOf = (i: number) => `org-bench-${i}`;

/** The customer namespaces, ready for Pods once kube-controller-manager has set each one up. */
export async function createNamespaces(kubeConfig: KubeConfig, count: number, concurrency: number): Promise<void> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const indices = Array.from({ length: count }, (_, i) => i);
  await forEachConcurrently(indices, concurrency, async (i) => {
    await core.createNamespace({ body: { metadata: { name: customerNamespace(i), labels: customerNamespaceLabels(organizationOf(i)) } } });
  });
  // Each new namespace gets a `default` ServiceAccount (without which no Pod is admitted) and the kube-root-ca.crt
  // ConfigMap: done before either side is timed, so neither waits on it nor counts it.
  const names = new Set(indices.map(customerNamespace));
  const deadline = Date.now() + 300_000;
  for (;;) {
    const accounts = (await core.listServiceAccountForAllNamespaces({ fieldSelector: 'metadata.name=default' })).items;
    const configMaps = (await core.listConfigMapForAllNamespaces({ fieldSelector: 'metadata.name=kube-root-ca.crt' })).items;
    const ready = (items: { metadata?: { namespace?: string } }[]) => items.filter((item) => names.has(item.metadata?.namespace ?? '')).length;
    if (ready(accounts) === names.size && ready(configMaps) === names.size) return;
    if (Date.now() > deadline) throw new Error('kube-controller-manager has not set up every new namespace after 300 s');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

function credentialsSecret(instance: BookInstanceDefinition, book: BookDefinition, organizationId: string): V1Secret {
  const id = identify(instance, book);
  const metadata = instanceObjectMetadata(id);
  const references = credentialReferences(id, instance);
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: references[0]?.secret ?? '',
      namespace: id.customerNamespace,
      labels: { ...metadata.labels, [bdkLabels.organizationId]: organizationId, [bdkLabels.secretPurpose]: secretPurposes.credentials },
      annotations: metadata.annotations,
    },
    type: 'Opaque',
    data: Object.fromEntries(references.map(({ key }) => [key, Buffer.from(`${key}-${id.instanceId}`).toString('base64')])),
  };
}

/** One new instance (with its credentials Secret) in each of the first `count` customer namespaces. */
export async function createInstances(options: {
  kubeConfig: KubeConfig;
  resources: BdkResources;
  bdkNamespace: string;
  book: BookDefinition;
  count: number;
  concurrency: number;
}): Promise<BenchInstance[]> {
  const { kubeConfig, resources, bdkNamespace, book, count } = options;
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const created: BenchInstance[] = [];
  const indices = Array.from({ length: count }, (_, i) => i);
  await forEachConcurrently(indices, options.concurrency, async (i) => {
    const draft = seedInstance({ namespace: bdkNamespace, customerNamespace: customerNamespace(i), book, instanceId: randomUUID(), organizationId: organizationOf(i) });
    const secret = await core.createNamespacedSecret({ namespace: customerNamespace(i), body: credentialsSecret(draft, book, organizationOf(i)) });
    const instance = await resources.instances.create(bdkNamespace, draft);
    created.push({ instance, secret });
  });
  return created;
}

/**
 * Removes every instance and everything written for them (in the customer namespaces: what the controller writes
 * and the credentials Secrets), keeping the namespaces, and waits until no book Pod, ReplicaSet or Deployment is
 * left: the next side starts where this one did, on a cluster that is not still deleting.
 */
export async function deleteInstances(options: {
  kubeConfig: KubeConfig;
  resources: BdkResources;
  bdkNamespace: string;
  count: number;
  concurrency: number;
  timeoutMs: number;
}): Promise<void> {
  const { kubeConfig, resources, bdkNamespace } = options;
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const apps = kubeConfig.makeApiClient(AppsV1Api);
  const networking = kubeConfig.makeApiClient(NetworkingV1Api);
  const custom = kubeConfig.makeApiClient(CustomObjectsApi);
  const crd = (type: { group: string; version: string; plural: string }) => ({ group: type.group, version: type.version, plural: type.plural });
  // Nothing runs to honour the cleanup finalizer: it goes first.
  const instances = (await resources.instances.list(bdkNamespace)).items;
  await forEachConcurrently(instances, options.concurrency, async (instance) => {
    if ((instance.metadata.finalizers ?? []).length > 0) await resources.instances.mergePatch(bdkNamespace, instance.metadata.name ?? '', { metadata: { finalizers: null } });
  });
  await custom.deleteCollectionNamespacedCustomObject({ ...crd(bookInstanceDefinitionResource), namespace: bdkNamespace });
  const namespaces = Array.from({ length: options.count }, (_, i) => customerNamespace(i));
  await forEachConcurrently(namespaces, options.concurrency, async (namespace) => {
    const selected = { namespace, labelSelector: managed };
    await apps.deleteCollectionNamespacedDeployment(selected);
    await core.deleteCollectionNamespacedConfigMap(selected);
    await custom.deleteCollectionNamespacedCustomObject({ ...crd(externalBookDefinitionResource), ...selected });
    await core.deleteCollectionNamespacedResourceQuota(selected);
    await core.deleteCollectionNamespacedLimitRange(selected);
    await networking.deleteCollectionNamespacedNetworkPolicy(selected);
    await core.deleteCollectionNamespacedSecret(selected);
    // Services have no deletecollection.
    for (const service of (await core.listNamespacedService(selected)).items) await core.deleteNamespacedService({ namespace, name: service.metadata?.name ?? '' });
  });
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const left =
      (await core.listPodForAllNamespaces({ labelSelector: managed })).items.length +
      (await apps.listReplicaSetForAllNamespaces({ labelSelector: managed })).items.length +
      (await apps.listDeploymentForAllNamespaces({ labelSelector: managed })).items.length;
    if (left === 0) return;
    if (Date.now() > deadline) throw new Error(`${left} book Pods, ReplicaSets and Deployments still there after ${options.timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}
