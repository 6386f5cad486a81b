// BDK's state in a Kubernetes cluster, read for a backup and written back by a restore: the BookDefinitions and
// BookInstanceDefinitions in BDK's namespace, the customer namespaces BDK manages (their labels name the owning
// organisation), and the Secrets BDK wrote in them, selected by their purpose label.
import { bdkLabels, bdkResources, isConflict, isNotFound, labelSelector, managedByBdk, secretPurposes, type CustomResourceClient } from '@bdk/k8s';
import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import type { PortableNamespace, PortableResource, PortableSecret } from './archive-format.js';
import { portableBook, portableInstance, portableNamespace, portableSecret, resourceToCreate } from './portable-objects.js';

export interface ClusterState {
  namespaces: PortableNamespace[];
  books: PortableResource[];
  instances: PortableResource[];
  secrets: PortableSecret[];
}

const pageSize = 250;

async function listAll<T extends { metadata: { name?: string } }>(client: CustomResourceClient<T>, namespace: string): Promise<T[]> {
  const items: T[] = [];
  let token: string | undefined;
  do {
    const page = await client.list(namespace, { limit: pageSize, ...(token ? { continue: token } : {}) });
    items.push(...page.items);
    token = page.metadata.continue || undefined;
  } while (token);
  return items;
}

/** Reads BDK's state; credentials Secrets only when asked for (webhook signing Secrets always). */
export async function readClusterState(kubeConfig: KubeConfig, namespace: string, options: { includeCredentials: boolean }): Promise<ClusterState> {
  const resources = bdkResources(kubeConfig);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const purposes = [secretPurposes.webhookSigning, ...(options.includeCredentials ? [secretPurposes.credentials] : [])];
  const [books, instances, namespaces, ...secretLists] = await Promise.all([
    listAll(resources.books, namespace),
    listAll(resources.instances, namespace),
    core.listNamespace({ labelSelector: labelSelector({ [bdkLabels.managedBy]: managedByBdk }) }),
    ...purposes.map((purpose) => core.listSecretForAllNamespaces({ labelSelector: labelSelector({ [bdkLabels.secretPurpose]: purpose }) })),
  ]);
  const byName = <T extends { metadata: { name: string; namespace?: string } }>(a: T, b: T) =>
    `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`);
  return {
    namespaces: namespaces.items.map(portableNamespace).sort((a, b) => a.name.localeCompare(b.name)),
    books: books.map(portableBook).sort(byName),
    instances: instances.map(portableInstance).sort(byName),
    secrets: secretLists.flatMap((list) => list.items.map(portableSecret)).sort(byName),
  };
}

/** The restore would overwrite or mix with what is there: nothing was written. */
export class RestoreRefused extends Error {
  override name = 'RestoreRefused';
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export interface RestoreCounts {
  namespaces: number;
  secrets: number;
  books: number;
  instances: number;
}

/**
 * Writes the state into a cluster that has none of BDK's objects yet, in the order the controller needs: customer
 * namespaces (with their organisation), then Secrets (so an instance finds its credentials and signing secret
 * when it is first reconciled), then books, then instances. Refuses, naming them, when BookDefinitions,
 * BookInstanceDefinitions or BDK Secrets of the same names exist, or a customer namespace belongs to another
 * organisation.
 */
export async function writeClusterState(kubeConfig: KubeConfig, namespace: string, state: ClusterState): Promise<RestoreCounts> {
  const resources = bdkResources(kubeConfig);
  const core = kubeConfig.makeApiClient(CoreV1Api);

  const [books, instances] = await Promise.all([listAll(resources.books, namespace), listAll(resources.instances, namespace)]);
  const existing = [
    ...books.map((book) => `BookDefinition ${book.metadata.name}`),
    ...instances.map((instance) => `BookInstanceDefinition ${instance.metadata.name}`),
  ];
  for (const secret of state.secrets) {
    if (await exists(() => core.readNamespacedSecret({ namespace: secret.metadata.namespace, name: secret.metadata.name }))) {
      existing.push(`Secret ${secret.metadata.namespace}/${secret.metadata.name}`);
    }
  }
  const foreignNamespaces: string[] = [];
  for (const wanted of state.namespaces) {
    const found = await core.readNamespace({ name: wanted.name }).catch((error: unknown) => (isNotFound(error) ? undefined : Promise.reject(error)));
    const owner = found?.metadata?.labels?.[bdkLabels.organizationId];
    if (found && owner !== undefined && owner !== wanted.labels[bdkLabels.organizationId]) {
      foreignNamespaces.push(`namespace ${wanted.name} belongs to organisation ${owner}`);
    }
  }
  if (existing.length > 0 || foreignNamespaces.length > 0) {
    const shown = [...existing, ...foreignNamespaces];
    throw new RestoreRefused(
      `the cluster already holds BDK state; restore only into a cluster without it (nothing was written): ${shown.slice(0, 20).join(', ')}${shown.length > 20 ? `, and ${shown.length - 20} more` : ''}`,
    );
  }

  await ensureNamespace(core, namespace, {});
  for (const wanted of state.namespaces) await ensureNamespace(core, wanted.name, wanted.labels);
  for (const secret of state.secrets) {
    await core.createNamespacedSecret({
      namespace: secret.metadata.namespace,
      body: {
        apiVersion: 'v1',
        kind: 'Secret',
        type: secret.type,
        metadata: { name: secret.metadata.name, namespace: secret.metadata.namespace, labels: secret.metadata.labels, annotations: secret.metadata.annotations },
        data: secret.data,
      },
    });
  }
  for (const book of state.books) await resources.books.create(namespace, resourceToCreate(book, namespace) as never);
  for (const instance of state.instances) await resources.instances.create(namespace, resourceToCreate(instance, namespace) as never);
  return { namespaces: state.namespaces.length, secrets: state.secrets.length, books: state.books.length, instances: state.instances.length };
}

async function exists(read: () => Promise<unknown>): Promise<boolean> {
  try {
    await read();
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

/** Creates the namespace with `labels`, or adds them to the one there. */
async function ensureNamespace(core: CoreV1Api, name: string, labels: Record<string, string>): Promise<void> {
  try {
    await core.createNamespace({ body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } } });
  } catch (error) {
    if (!isConflict(error)) throw error;
    if (Object.keys(labels).length > 0) await core.patchNamespace({ name, body: { metadata: { labels } } }, mergePatch);
  }
}
