// The book reconciler against fake caches and a fake apiserver: the finalizer goes on every book, a deleting book
// keeps it while an instance holds it (the cache's word or the apiserver's), and its status names the holders.
import { beforeEach, describe, expect, it } from '@jest/globals';
import { bdkLabels, bookInUseFinalizer, type BookDefinition, type BookDefinitionStatus, type BookInstanceDefinition } from '@bdk/k8s';
import { createLogger } from '@bdk/service-runtime';
import { createBookReconciler } from './book-reconciler.js';

let book: BookDefinition;
let cachedInstances: BookInstanceDefinition[];
let storedInstances: BookInstanceDefinition[];
let patches: { metadata: { finalizers: string[]; resourceVersion?: string } }[];
let statuses: BookDefinitionStatus[];

function instance(name: string, bookRef: { name: string; version: string }): BookInstanceDefinition {
  return {
    apiVersion: 'bdk.voyager.io/v1',
    kind: 'BookInstanceDefinition',
    metadata: { name, namespace: 'bdk', labels: { [bdkLabels.instanceId]: `id-${name}` } },
    spec: { bookRef, customer: { namespace: 'customer-acme', organization_id: 'org-acme' } },
  };
}

function reconciler() {
  return createBookReconciler({
    resources: {
      books: {
        mergePatch: (_namespace: string, _name: string, patch: (typeof patches)[number]) => {
          patches.push(patch);
          return Promise.resolve(book);
        },
        mergePatchStatus: (_namespace: string, _name: string, status: BookDefinitionStatus) => {
          statuses.push(status);
          return Promise.resolve(book);
        },
      },
      instances: { list: () => Promise.resolve({ items: storedInstances, metadata: {} }) },
    } as never,
    caches: {
      books: { get: (name: string) => (name === book.metadata.name ? book : undefined) },
      instances: { list: () => cachedInstances },
    } as never,
    logger: createLogger('book-controller', { write: () => undefined }),
    now: () => new Date('2026-01-01T00:00:00Z'),
  });
}

const pinned = { name: 'customer-support-1-0-0', version: '1.0.0' };

beforeEach(() => {
  book = {
    apiVersion: 'bdk.voyager.io/v1',
    kind: 'BookDefinition',
    metadata: { name: 'customer-support-1-0-0', namespace: 'bdk', resourceVersion: '7' },
    spec: { name: 'customer-support', version: '1.0.0' },
  };
  cachedInstances = [];
  storedInstances = [];
  patches = [];
  statuses = [];
});

describe('the book reconciler', () => {
  it('adds the finalizer to a book without it, conditional on the version it read', async () => {
    await reconciler()('bdk/customer-support-1-0-0');
    expect(patches).toEqual([{ metadata: { finalizers: [bookInUseFinalizer], resourceVersion: '7' } }]);
  });

  it('releases a deleting book that no instance holds', async () => {
    book.metadata = { ...book.metadata, deletionTimestamp: new Date(), finalizers: ['other', bookInUseFinalizer] };
    cachedInstances = storedInstances = [instance('other-version', { name: 'customer-support-2-0-0', version: '2.0.0' })];
    expect(await reconciler()('bdk/customer-support-1-0-0')).toBeUndefined();
    expect(patches).toEqual([{ metadata: { finalizers: ['other'], resourceVersion: '7' } }]);
  });

  it('holds a deleting book while the apiserver has an instance the cache has not seen yet', async () => {
    book.metadata = { ...book.metadata, deletionTimestamp: new Date(), finalizers: [bookInUseFinalizer] };
    storedInstances = [instance('just-created', pinned)];
    expect(await reconciler()('bdk/customer-support-1-0-0')).toEqual({ requeueAfterMs: expect.any(Number) });
    expect(patches).toEqual([]);
    expect(statuses[0]?.conditions).toEqual([
      expect.objectContaining({
        type: 'InUse',
        status: 'True',
        reason: 'InstancesExist',
        message: 'held by 1 instance that runs it: id-just-created (just-created); it is deleted once they are gone',
      }),
    ]);
  });

  it('holds it while a range instance runs it, and writes the same status only once', async () => {
    const ranged = { ...instance('ranged', { name: 'customer-support', version: '^1.0.0' }), status: { resolved_version: '1.0.0' } };
    book.metadata = { ...book.metadata, deletionTimestamp: new Date(), finalizers: [bookInUseFinalizer] };
    cachedInstances = storedInstances = [ranged];
    await reconciler()('bdk/customer-support-1-0-0');
    book = { ...book, status: statuses[0] };
    await reconciler()('bdk/customer-support-1-0-0');
    expect(statuses).toHaveLength(1);
    expect(patches).toEqual([]);
  });
});
