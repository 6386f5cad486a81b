// The labels, annotations and finalizer BDK puts on what it creates. Both the API (library-service) and the
// controller select by them, so they are defined once here.

/** Label keys. Values are the ids the REST/gRPC API hands out, so a lookup by id is one label-selected list. */
export const bdkLabels = {
  /** UUID of a book (BookDefinition), as returned by CreateBook. */
  bookId: 'bdk.voyager.io/book-id',
  /** UUID of a book instance (BookInstanceDefinition), as returned by CreateBookInstance. */
  instanceId: 'bdk.voyager.io/instance-id',
  /** spec.name of the book. */
  bookName: 'bdk.voyager.io/book-name',
  /** On a BookInstanceDefinition: its customer namespace, so lists can filter by it in the apiserver. */
  customerNamespace: 'bdk.voyager.io/customer-namespace',
  /**
   * The owning organisation: on a BookInstanceDefinition (every API lookup of an instance selects by it, so another
   * organisation's instance is simply not found), on a customer namespace (the organisation it belongs to) and on the
   * Secrets in it.
   */
  organizationId: 'bdk.voyager.io/organization-id',
  /** On a Secret BDK writes in a customer namespace: what it holds (secretPurposes). */
  secretPurpose: 'bdk.voyager.io/secret-purpose',
  /** The recommended Kubernetes label saying which component manages an object. */
  managedBy: 'app.kubernetes.io/managed-by',
  /** The recommended Kubernetes label naming the application an object belongs to. */
  name: 'app.kubernetes.io/name',
  /** The recommended Kubernetes label naming one instance of that application. */
  instance: 'app.kubernetes.io/instance',
} as const;

/** Annotation keys. */
export const bdkAnnotations = {
  /** Where the instance lives: `<namespace>/<name>` of the BookInstanceDefinition, on customer-namespace objects. */
  instanceRef: 'bdk.voyager.io/instance',
  /** When the API created a book or instance (RFC 3339), the `created_at` of the REST answers. */
  createdAt: 'bdk.voyager.io/created-at',
} as const;

/** Values of the secret-purpose label. */
export const secretPurposes = {
  /** An instance's credential values, one key per credential. */
  credentials: 'credentials',
  /** An instance's webhook signing secrets, one key per webhook source. */
  webhookSigning: 'webhook-signing',
} as const;

/** The value of app.kubernetes.io/managed-by on everything BDK creates. */
export const managedByBdk = 'bdk';

/** Finalizer on a BookInstanceDefinition: the controller removes what it made in the customer namespace first. */
export const instanceCleanupFinalizer = 'bdk.voyager.io/cleanup';

/**
 * What every object of an instance in its customer namespace carries, whoever writes it (the library-service's
 * credentials Secret, the controller's workloads): the ids to select by, and the way back to the instance.
 */
export function instanceObjectMetadata(instance: { instanceId: string; bookId: string; instanceRef: string }): {
  labels: Record<string, string>;
  annotations: Record<string, string>;
} {
  return {
    labels: { [bdkLabels.instanceId]: instance.instanceId, [bdkLabels.bookId]: instance.bookId, [bdkLabels.managedBy]: managedByBdk },
    annotations: { [bdkAnnotations.instanceRef]: instance.instanceRef },
  };
}

/** The value of the instance annotation: `<namespace>/<name>` of the BookInstanceDefinition. */
export function instanceRef(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** A label selector string (`k=v,k2=v2`) from a map. */
export function labelSelector(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}
