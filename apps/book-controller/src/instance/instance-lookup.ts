// Finding an instance or book for an RPC: the controller's caches first (no apiserver round trip on the hot path),
// the apiserver for what they do not hold yet (an object created a moment ago).
import type { BdkResources, BookDefinition, BookInstanceDefinition } from '@bdk/k8s';
import type { ControllerCaches } from './caches.js';

export interface InstanceLookup {
  instance(namespace: string, name: string): Promise<BookInstanceDefinition | undefined>;
  book(namespace: string, name: string): Promise<BookDefinition | undefined>;
  /** Every instance the cache holds in `namespace` (a primary's secondaries are found here). */
  instances(namespace: string): readonly BookInstanceDefinition[];
}

export function cachedLookup(caches: Pick<ControllerCaches, 'instances' | 'books'>, resources: Pick<BdkResources, 'instances' | 'books'>): InstanceLookup {
  return {
    instance: async (namespace, name) => caches.instances.get(name, namespace) ?? (await resources.instances.find(namespace, name)),
    book: async (namespace, name) => caches.books.get(name, namespace) ?? (await resources.books.find(namespace, name)),
    instances: (namespace) => caches.instances.list(namespace),
  };
}
