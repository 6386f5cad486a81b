// Which book instances a webhook goes to. Pure: the caller supplies the BookDefinitions and
// BookInstanceDefinitions (from the routing cache), so the rules are testable without a cluster.
import { webhookIntegrationFor, type BookDefinition, type BookInstanceDefinition } from '@bdk/k8s';

/** A BookInstanceDefinition to trigger, and where the webhook lands, as the REST answer reports it. */
export interface RouteTarget {
  /** Namespace of the BookInstanceDefinition (BDK's namespace). */
  namespace: string;
  /** metadata.name of the BookInstanceDefinition. */
  name: string;
  /** `<customer namespace>/<BookDefinition metadata.name>`, e.g. customer-acme/customer-support-book. */
  routedTo: string;
}

export function bookReceives(book: BookDefinition, source: string): boolean {
  return webhookIntegrationFor(book, source) !== undefined;
}

/**
 * The instances whose book declares a webhook integration for `source`, sorted by name. Instances being deleted
 * are skipped (their workloads are being torn down), and so are instances whose BookDefinition is missing.
 */
export function routeTargets(
  source: string,
  books: Iterable<BookDefinition>,
  instances: Iterable<BookInstanceDefinition>,
): RouteTarget[] {
  const receiving = new Map<string, BookDefinition>();
  for (const book of books) {
    const key = `${book.metadata.namespace ?? ''}/${book.metadata.name ?? ''}`;
    if (bookReceives(book, source)) receiving.set(key, book);
  }
  const targets: RouteTarget[] = [];
  for (const instance of instances) {
    if (instance.metadata.deletionTimestamp) continue;
    const namespace = instance.metadata.namespace ?? '';
    const book = receiving.get(`${namespace}/${instance.spec.bookRef.name}`);
    if (!book || !instance.metadata.name) continue;
    targets.push({ namespace, name: instance.metadata.name, routedTo: `${instance.spec.customer.namespace}/${instance.spec.bookRef.name}` });
  }
  return targets.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
}
