// Objects read from one cluster, reduced to what another cluster needs to recreate them. Everything the cluster
// assigns (uid, resourceVersion, generation, creationTimestamp, managedFields, status) is left out, and so are
// owner references (they name uids of the old cluster) and finalizers (the controller adds its own). The ids stay:
// they are labels, and an object that was known by its uid alone gets that uid as its id label, because the new
// cluster gives it another uid.
import { bdkLabels, bookIdOf, instanceIdOf } from '@bdk/k8s';
import type { V1Namespace, V1Secret } from '@kubernetes/client-node';
import type { PortableMetadata, PortableNamespace, PortableResource, PortableSecret } from './archive-format.js';

interface ClusterObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name?: string; namespace?: string; uid?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: unknown;
}

/** Annotations that belong to the old cluster's tools and would be wrong, or huge, in the new one. */
const droppedAnnotations = ['kubectl.kubernetes.io/last-applied-configuration'];

function portableMetadata(metadata: ClusterObject['metadata'], extraLabels: Record<string, string> = {}): PortableMetadata {
  if (!metadata.name) throw new Error('an object without a name cannot be backed up');
  const annotations = Object.fromEntries(Object.entries(metadata.annotations ?? {}).filter(([key]) => !droppedAnnotations.includes(key)));
  return {
    name: metadata.name,
    ...(metadata.namespace ? { namespace: metadata.namespace } : {}),
    labels: { ...(metadata.labels ?? {}), ...extraLabels },
    annotations,
  };
}

/** A BookDefinition as a backup keeps it, its book-id label set (from its uid when it had none). */
export function portableBook(book: ClusterObject): PortableResource {
  return {
    apiVersion: book.apiVersion ?? 'bdk.voyager.io/v1',
    kind: book.kind ?? 'BookDefinition',
    metadata: portableMetadata(book.metadata, { [bdkLabels.bookId]: bookIdOf(book) }),
    spec: book.spec,
  };
}

/** A BookInstanceDefinition as a backup keeps it, its instance-id label set (from its uid when it had none). */
export function portableInstance(instance: ClusterObject): PortableResource {
  return {
    apiVersion: instance.apiVersion ?? 'bdk.voyager.io/v1',
    kind: instance.kind ?? 'BookInstanceDefinition',
    metadata: portableMetadata(instance.metadata, { [bdkLabels.instanceId]: instanceIdOf(instance) }),
    spec: instance.spec,
  };
}

/** A customer namespace: its name and labels (the organisation that owns it, Pod Security). */
export function portableNamespace(namespace: V1Namespace): PortableNamespace {
  const { 'kubernetes.io/metadata.name': _name, ...labels } = namespace.metadata?.labels ?? {};
  return { name: namespace.metadata?.name ?? '', labels };
}

export function portableSecret(secret: V1Secret): PortableSecret {
  const metadata = portableMetadata({ ...secret.metadata, name: secret.metadata?.name });
  return { metadata: { ...metadata, namespace: secret.metadata?.namespace ?? '' }, type: secret.type ?? 'Opaque', data: secret.data ?? {} };
}

/** The object to create from a portable resource, in `namespace` (BDK's namespace of the cluster restored into). */
export function resourceToCreate(resource: PortableResource, namespace: string): Record<string, unknown> {
  return {
    apiVersion: resource.apiVersion,
    kind: resource.kind,
    metadata: { name: resource.metadata.name, namespace, labels: resource.metadata.labels, annotations: resource.metadata.annotations },
    spec: resource.spec,
  };
}
