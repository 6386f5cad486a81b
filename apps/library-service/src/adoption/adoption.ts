// Serving what was applied without the API. A BookDefinition or BookInstanceDefinition applied with kubectl or a
// GitOps tool has none of the identity labels every API lookup selects by; this gives it them (adoption-labels.ts),
// so it is found, listed and scoped to its organisation exactly like the API's own objects, by the same one
// label-selected list. It watches both kinds in BDK's namespace and adds only the missing labels, in a JSON merge
// patch under its own field manager that is conditional on the version it saw. The GitOps tool keeps owning spec
// and whatever else it applies; this service owns only the labels it added; so neither's server-side apply ever
// conflicts with the other's, and a later apply by the tool (which does not name these labels) leaves them alone.
// Every replica of the service runs it: one that loses the race gets a 409 and finds the labels on its next event.
import type { KubeConfig } from '@kubernetes/client-node';
import { Controller } from '@bdk/controller-runtime';
import {
  bdkLabels,
  customResourceInformer,
  isConflict,
  isNotFound,
  isVersionRange,
  type BdkResources,
  type BookDefinition,
  type BookInstanceDefinition,
  type CustomResourceClient,
} from '@bdk/k8s';
import type { Logger } from '@bdk/service-runtime';
import { missingBookLabels, missingInstanceLabels, type MissingLabels } from './adoption-labels.js';

/** The field manager of the labels this service adds (metadata.managedFields shows it as their owner). */
export const adoptionFieldManager = 'bdk-library-service';

const bookKind = 'BookDefinition';
const instanceKind = 'BookInstanceDefinition';

/** The work queue's key of one object. */
export function adoptionKey(kind: typeof bookKind | typeof instanceKind, name: string): string {
  return `${kind}/${name}`;
}

/** What a reconcile reads: the watched objects as last seen. */
export interface AdoptionCaches {
  book(name: string): BookDefinition | undefined;
  books(): readonly BookDefinition[];
  instance(name: string): BookInstanceDefinition | undefined;
}

/**
 * The BookDefinition whose labels an instance takes: the one a pinned ref names, or for a range any version of the
 * book it follows (they share spec.name, which is all the labels carry), so adoption does not wait for the controller.
 */
export function labelSourceBook(instance: BookInstanceDefinition, caches: Pick<AdoptionCaches, 'book' | 'books'>): BookDefinition | undefined {
  const { name, version } = instance.spec.bookRef;
  if (!isVersionRange(version)) return caches.book(name);
  return caches.books().find((book) => book.spec.name === name);
}

/** Whether `book` is (a version of) the book the instance's ref names. */
function refersTo(instance: BookInstanceDefinition, book: BookDefinition): boolean {
  const { name, version } = instance.spec.bookRef;
  return isVersionRange(version) ? book.spec.name === name : book.metadata.name === name;
}

export interface AdoptionReconcilerOptions {
  namespace: string;
  caches: AdoptionCaches;
  resources: Pick<BdkResources, 'books' | 'instances'>;
  logger: Logger;
}

/** Labels one queued object, if it lacks any; see adoptionKey. */
export function adoptionReconciler(options: AdoptionReconcilerOptions): (key: string) => Promise<undefined> {
  const { namespace, caches, resources, logger } = options;

  async function label<T extends BookDefinition | BookInstanceDefinition>(kind: string, client: CustomResourceClient<T>, object: T, missing: MissingLabels): Promise<void> {
    const name = object.metadata.name ?? '';
    // Usually the moment before its book's watch event arrives; the controller reports an organisation it refuses.
    if (missing.pending.length > 0) logger.info('an object applied without the API lacks labels it cannot have yet', { kind, object: `${namespace}/${name}`, pending: missing.pending });
    if (Object.keys(missing.labels).length === 0) return;
    try {
      await client.mergePatch(namespace, name, { metadata: { resourceVersion: object.metadata.resourceVersion, labels: missing.labels } }, { fieldManager: adoptionFieldManager });
    } catch (error) {
      // 409: it changed after the version this saw (or another replica labelled it), and the watch brings the
      // newer one back here. 404: it is gone.
      if (isConflict(error) || isNotFound(error)) return;
      throw error;
    }
    logger.info('labelled an object applied without the API', { kind, object: `${namespace}/${name}`, labels: missing.labels });
  }

  return async (key) => {
    const slash = key.indexOf('/');
    const kind = key.slice(0, slash);
    const name = key.slice(slash + 1);
    if (kind === bookKind) {
      const book = caches.book(name);
      if (book) await label(bookKind, resources.books, book, missingBookLabels(book));
    } else {
      const instance = caches.instance(name);
      if (instance) await label(instanceKind, resources.instances, instance, missingInstanceLabels(instance, labelSourceBook(instance, caches)));
    }
    return undefined;
  };
}

export interface Adoption {
  /** A BookDefinition without a book-id label (not labelled yet), by metadata.uid: the id the API answers for it. */
  unlabelledBook(uid: string): BookDefinition | undefined;
  stop(): Promise<void>;
}

/** What adoption needs of an instance; the rest of it is not kept. */
function instanceIdentity(instance: BookInstanceDefinition): BookInstanceDefinition {
  const { name, namespace, uid, resourceVersion, labels } = instance.metadata;
  const { bookRef, customer } = instance.spec;
  return { apiVersion: instance.apiVersion, kind: instance.kind, metadata: { name, namespace, uid, resourceVersion, labels }, spec: { bookRef, customer } };
}

/** Starts watching BDK's namespace and labelling; the first list queues every object there. */
export function startAdoption(options: { kubeConfig: KubeConfig; resources: Pick<BdkResources, 'books' | 'instances'>; namespace: string; logger: Logger }): Adoption {
  const { kubeConfig, resources, namespace, logger } = options;
  const caches: AdoptionCaches = {
    book: (name) => books.get(name, namespace),
    books: () => books.list(namespace),
    instance: (name) => instances.get(name, namespace),
  };
  const controller = new Controller({ name: 'adoption', reconcile: adoptionReconciler({ namespace, caches, resources, logger }), logger, workers: 1 });
  const books = customResourceInformer({
    kubeConfig,
    client: resources.books,
    namespace,
    logger,
    onChange: (book) => {
      const name = book.metadata.name ?? '';
      controller.enqueue(adoptionKey(bookKind, name));
      // Instances applied before their book get the book's labels once it is there.
      for (const instance of instances.list(namespace)) {
        if (refersTo(instance, book)) controller.enqueue(adoptionKey(instanceKind, instance.metadata.name ?? ''));
      }
    },
  });
  const instances = customResourceInformer({
    kubeConfig,
    client: resources.instances,
    namespace,
    logger,
    transform: instanceIdentity,
    onChange: (instance) => controller.enqueue(adoptionKey(instanceKind, instance.metadata.name ?? '')),
  });
  controller.start();
  void books.start();
  void instances.start();
  return {
    unlabelledBook: (uid) => books.list(namespace).find((book) => book.metadata.uid === uid && book.metadata.labels?.[bdkLabels.bookId] === undefined),
    async stop() {
      await controller.stop();
      await Promise.all([books.stop(), instances.stop()]);
    },
  };
}
