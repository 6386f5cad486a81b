// Reconcile one BookDefinition: it carries the book-in-use finalizer while it exists, and a book being deleted
// keeps it until no BookInstanceDefinition holds it (book-in-use). Until then its status says which instances hold
// it (condition InUse), and every change of an instance that names the book brings it back here.
//
// The release is safe against an instance created at the same moment: the cache may not hold that instance yet, so
// before the finalizer goes the instances are listed from the apiserver (a quorum read). An instance written after
// that list was written after the book was marked for deletion, and its creator (the library-service) reads the
// book again after its write, finds it deleting or gone, and removes the instance.
import { bookInUseFinalizer, describeHolders, holdersOf, isNotFound, type BdkResources, type BookDefinition, type BookDefinitionStatus } from '@bdk/k8s';
import type { ReconcileResult } from '@bdk/controller-runtime';
import type { Logger } from '@bdk/service-runtime';
import { splitKey, type ControllerCaches } from '../instance/caches.js';
import { ConditionReason, ConditionType } from '../instance/conditions.js';
import { setCondition } from '../instance/instance-status.js';

/** How soon a held book is looked at again if no instance change arrives (a missed watch event, say). */
export const heldRequeueMs = 30_000;

export interface BookReconcilerDeps {
  resources: Pick<BdkResources, 'books' | 'instances'>;
  caches: Pick<ControllerCaches, 'books' | 'instances'>;
  logger: Logger;
  now?: () => Date;
}

export function createBookReconciler(deps: BookReconcilerDeps): (key: string) => Promise<ReconcileResult | undefined> {
  const { resources, caches, logger } = deps;
  const now = deps.now ?? (() => new Date());

  async function patchFinalizers(book: BookDefinition, finalizers: string[]): Promise<void> {
    // Conditional on the version read: a finalizer list changed meanwhile is a conflict, and the key comes back.
    await resources.books.mergePatch(book.metadata.namespace ?? '', book.metadata.name ?? '', {
      metadata: { finalizers, resourceVersion: book.metadata.resourceVersion },
    });
  }

  async function reportHolders(book: BookDefinition, message: string, log: Logger): Promise<void> {
    const conditions = book.status?.conditions ?? [];
    if (conditions.some((c) => c.type === ConditionType.InUse && c.status === 'True' && c.message === message)) return;
    const observation = { status: 'True' as const, reason: ConditionReason.InstancesExist, message };
    const next = setCondition(conditions, ConditionType.InUse, observation, book.metadata.generation ?? 0, now());
    // The book's conditions have no lastTransitionTime in the schema: only the API's last_transition is kept.
    const status: BookDefinitionStatus = {
      conditions: next.map(({ lastTransitionTime: _time, ...condition }) => condition),
      last_updated: now().toISOString(),
    };
    await resources.books.mergePatchStatus(book.metadata.namespace ?? '', book.metadata.name ?? '', status);
    log.warn('the book is being deleted and instances still run it', { held_by: message });
  }

  return async function reconcile(key) {
    const { namespace, name } = splitKey(key);
    const log = logger.child({ book: key });
    const book = caches.books.get(name, namespace);
    if (!book) return undefined;
    const finalizers = book.metadata.finalizers ?? [];
    if (!book.metadata.deletionTimestamp) {
      if (finalizers.includes(bookInUseFinalizer)) return undefined;
      await patchFinalizers(book, [...finalizers, bookInUseFinalizer]);
      log.info('added the book-in-use finalizer');
      return undefined;
    }
    if (!finalizers.includes(bookInUseFinalizer)) return undefined;
    let holders = holdersOf(book, caches.instances.list(namespace));
    // The cache may lag behind an instance just created: nothing is released on its word alone.
    if (holders.length === 0) holders = holdersOf(book, (await resources.instances.list(namespace)).items);
    if (holders.length > 0) {
      const message = `held by ${holders.length === 1 ? '1 instance that runs' : `${holders.length} instances that run`} it: ${describeHolders(holders)}; it is deleted once they are gone`;
      await reportHolders(book, message, log);
      return { requeueAfterMs: heldRequeueMs };
    }
    try {
      await patchFinalizers(book, finalizers.filter((f) => f !== bookInUseFinalizer));
    } catch (error) {
      // Gone already. A conflict (the book changed since the cache saw it) is thrown: the key comes back.
      if (isNotFound(error)) return undefined;
      throw error;
    }
    log.info('released the book-in-use finalizer: no instance runs the book');
    return undefined;
  };
}
