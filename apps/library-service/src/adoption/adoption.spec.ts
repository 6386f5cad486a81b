// The reconciler against caches and a client that record what would be written; the watch, the queue and the
// real apiserver are in test/gitops.test.ts.
import { beforeEach, describe, expect, it } from '@jest/globals';
import { ApiException } from '@kubernetes/client-node';
import { bdkLabels, type BookDefinition, type BookInstanceDefinition, type CustomResourceClient } from '@bdk/k8s';
import { createLogger } from '@bdk/service-runtime';
import { adoptionFieldManager, adoptionKey, adoptionReconciler, type AdoptionCaches } from './adoption.js';

const bookUid = '9d2f4c1a-6b3e-4f5a-8c7d-0e1f2a3b4c5d';
const instanceUid = '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';

interface Patch {
  name: string;
  patch: unknown;
  fieldManager: string | undefined;
}

let books: Map<string, BookDefinition>;
let instances: Map<string, BookInstanceDefinition>;
let patches: Patch[];
let patchFailure: unknown;
let logs: string[];

function recordingClient<T extends BookDefinition | BookInstanceDefinition>(): CustomResourceClient<T> {
  const unused = () => Promise.reject(new Error('unused'));
  return {
    type: {} as CustomResourceClient<T>['type'],
    get: unused,
    find: unused,
    list: unused,
    create: unused,
    replace: unused,
    mergePatchStatus: unused,
    delete: unused,
    mergePatch: (_namespace, name, patch, options) => {
      if (patchFailure) return Promise.reject(patchFailure as Error);
      patches.push({ name, patch, fieldManager: options?.fieldManager });
      return Promise.resolve({} as T);
    },
  };
}

function reconcile(key: string) {
  const caches: AdoptionCaches = { book: (name) => books.get(name), books: () => [...books.values()], instance: (name) => instances.get(name) };
  const logger = createLogger('library-service', { write: (line) => logs.push(line) });
  return adoptionReconciler({ namespace: 'bdk', caches, resources: { books: recordingClient(), instances: recordingClient() }, logger })(key);
}

beforeEach(() => {
  books = new Map([
    [
      'customer-support-book',
      { apiVersion: 'bdk.voyager.io/v1', kind: 'BookDefinition', metadata: { name: 'customer-support-book', uid: bookUid, resourceVersion: '41' }, spec: { name: 'customer-support', version: '1.0.0' } },
    ],
  ]);
  instances = new Map([
    [
      'acme-customer-support',
      {
        apiVersion: 'bdk.voyager.io/v1',
        kind: 'BookInstanceDefinition',
        metadata: { name: 'acme-customer-support', uid: instanceUid, resourceVersion: '42' },
        spec: { bookRef: { name: 'customer-support-book', version: '1.0.0' }, customer: { namespace: 'customer-acme', organization_id: 'org-uuid-123' } },
      },
    ],
  ]);
  patches = [];
  patchFailure = undefined;
  logs = [];
});

describe('adoptionReconciler', () => {
  it('merge-patches the missing labels as its own field manager, on the version it saw', async () => {
    await reconcile(adoptionKey('BookDefinition', 'customer-support-book'));
    expect(patches).toEqual([
      {
        name: 'customer-support-book',
        patch: { metadata: { resourceVersion: '41', labels: { [bdkLabels.bookId]: bookUid, [bdkLabels.bookName]: 'customer-support' } } },
        fieldManager: adoptionFieldManager,
      },
    ]);
    expect(logs.join('\n')).toContain('labelled an object applied without the API');
  });

  it("labels an instance with its book's id", async () => {
    await reconcile(adoptionKey('BookInstanceDefinition', 'acme-customer-support'));
    expect(patches[0]?.patch).toEqual({
      metadata: {
        resourceVersion: '42',
        labels: {
          [bdkLabels.instanceId]: instanceUid,
          [bdkLabels.customerNamespace]: 'customer-acme',
          [bdkLabels.organizationId]: 'org-uuid-123',
          [bdkLabels.bookId]: bookUid,
          [bdkLabels.bookName]: 'customer-support',
        },
      },
    });
  });

  it('writes nothing for an object with every label, or one that is gone', async () => {
    const book = books.get('customer-support-book');
    if (book) book.metadata.labels = { [bdkLabels.bookId]: bookUid, [bdkLabels.bookName]: 'customer-support' };
    await reconcile(adoptionKey('BookDefinition', 'customer-support-book'));
    await reconcile(adoptionKey('BookInstanceDefinition', 'deleted-meanwhile'));
    expect(patches).toEqual([]);
  });

  it('leaves an object that changed since it was seen (409) or was deleted (404) to its next event', async () => {
    patchFailure = new ApiException(409, 'Conflict', '{}', {});
    await expect(reconcile(adoptionKey('BookDefinition', 'customer-support-book'))).resolves.toBeUndefined();
    patchFailure = new ApiException(404, 'NotFound', '{}', {});
    await expect(reconcile(adoptionKey('BookDefinition', 'customer-support-book'))).resolves.toBeUndefined();
  });

  it('throws any other failure, so the queue retries with backoff', async () => {
    patchFailure = new ApiException(503, 'Unavailable', '{}', {});
    await expect(reconcile(adoptionKey('BookDefinition', 'customer-support-book'))).rejects.toThrow();
  });

  it("labels a range instance from a version of the book it follows (its ref is the book's spec.name)", async () => {
    const instance = instances.get('acme-customer-support');
    if (instance) instance.spec.bookRef = { name: 'customer-support', version: '^1.0.0' };
    await reconcile(adoptionKey('BookInstanceDefinition', 'acme-customer-support'));
    expect((patches[0]?.patch as { metadata: { labels: object } }).metadata.labels).toMatchObject({ [bdkLabels.bookId]: bookUid, [bdkLabels.bookName]: 'customer-support' });
  });

  it("does not take a pinned ref's name for a book's spec.name, nor a range's for an object name", async () => {
    const instance = instances.get('acme-customer-support');
    if (instance) instance.spec.bookRef = { name: 'customer-support-book', version: '^1.0.0' };
    await reconcile(adoptionKey('BookInstanceDefinition', 'acme-customer-support'));
    expect(Object.keys((patches[0]?.patch as { metadata: { labels: object } }).metadata.labels)).not.toContain(bdkLabels.bookId);
  });

  it("logs what waits for the instance's book", async () => {
    books.clear();
    await reconcile(adoptionKey('BookInstanceDefinition', 'acme-customer-support'));
    expect(Object.keys((patches[0]?.patch as { metadata: { labels: object } }).metadata.labels)).not.toContain(bdkLabels.bookId);
    expect(logs.join('\n')).toContain('its BookDefinition customer-support-book does not exist yet');
  });
});
