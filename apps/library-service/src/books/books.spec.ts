// The book handlers' lookups against a fake apiserver list (label selectors of the form k=v and bare k) and a
// fake adoption cache; the real apiserver is in test/.
import { Code, createContextValues, createHandlerContext } from '@connectrpc/connect';
import { organizationPermissions, principalKey } from '@bdk/auth';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { BookLibraryService } from '@bdk/proto';
import { bdkLabels, managedByBdk, type BookDefinition, type BookInstanceDefinition } from '@bdk/k8s';
import { createLogger } from '@bdk/service-runtime';
import type { LibraryDeps } from '../library-deps.js';
import { bookHandlers, findBook } from './books.js';

const apiBookId = '3f0e7a52-7d0c-4bde-9a3c-1f1b2d8c9e01';
const appliedUid = '9d2f4c1a-6b3e-4f5a-8c7d-0e1f2a3b4c5d';

let books: BookDefinition[];
let instances: BookInstanceDefinition[];
let selectors: (string | undefined)[];
let deleted: string[];

function book(name: string, uid: string, labels: Record<string, string>): BookDefinition {
  return { apiVersion: 'bdk.voyager.io/v1', kind: 'BookDefinition', metadata: { name, uid, labels }, spec: { name: 'customer-support', version: name.slice(-5).replaceAll('-', '.') } };
}

function matches(item: { metadata: { labels?: Record<string, string> } }, selector = ''): boolean {
  return selector
    .split(',')
    .filter(Boolean)
    .every((term) => {
      const [key = '', value] = term.split('=');
      return value === undefined ? key in (item.metadata.labels ?? {}) : item.metadata.labels?.[key] === value;
    });
}

function deps(): LibraryDeps {
  const list = (_namespace: string, options?: { labelSelector?: string }) => {
    selectors.push(options?.labelSelector);
    return Promise.resolve({ items: books.filter((item) => matches(item, options?.labelSelector)), metadata: {} });
  };
  return {
    namespace: 'bdk',
    resources: {
      books: {
        list,
        delete: (_namespace: string, name: string) => {
          deleted.push(name);
          // As the book controller does once no instance holds it: the finalizer goes, and so does the book.
          books = books.filter((item) => item.metadata.name !== name);
          return Promise.resolve();
        },
        find: (_namespace: string, name: string) => Promise.resolve(books.find((item) => item.metadata.name === name)),
      },
      instances: { list: (_namespace: string, options?: { labelSelector?: string }) => Promise.resolve({ items: instances.filter((item) => matches(item, options?.labelSelector)), metadata: {} }) },
    },
    unlabelledBooks: {
      unlabelledBook: (uid: string) => books.find((item) => item.metadata.uid === uid && item.metadata.labels?.[bdkLabels.bookId] === undefined),
    },
    logger: createLogger('library-service', { write: () => undefined }),
  } as unknown as LibraryDeps;
}

const context = createHandlerContext({
  service: BookLibraryService,
  method: BookLibraryService.method.listBooks,
  protocolName: 'grpc',
  requestMethod: 'POST',
  url: 'http://127.0.0.1/bdk.v1.BookLibraryService/ListBooks',
});

/** A handler context as the auth interceptor leaves it, for a caller of `organizationId`. */
function callerContext(organizationId: string) {
  const values = createContextValues();
  values.set(principalKey, { subject: 'alice', issuer: 'https://id.example.com', organizationId, permissions: new Set(organizationPermissions) });
  return createHandlerContext({
    service: BookLibraryService,
    method: BookLibraryService.method.deleteBook,
    protocolName: 'grpc',
    requestMethod: 'POST',
    url: 'http://127.0.0.1/bdk.v1.BookLibraryService/DeleteBook',
    contextValues: values,
  });
}

beforeEach(() => {
  books = [
    book('customer-support-1-0-0', '0d1e2f3a-4b5c-4d6e-8f7a-8b9c0d1e2f3a', { [bdkLabels.bookId]: apiBookId, [bdkLabels.bookName]: 'customer-support', [bdkLabels.managedBy]: managedByBdk }),
    // Applied with kubectl a moment ago: adoption has not labelled it yet.
    book('customer-support-2-0-0', appliedUid, {}),
  ];
  instances = [];
  selectors = [];
  deleted = [];
});

function instance(index: number, bookRef: { name: string; version: string }, resolved_version?: string): BookInstanceDefinition {
  return {
    apiVersion: 'bdk.voyager.io/v1',
    kind: 'BookInstanceDefinition',
    metadata: { name: `acme-customer-support-${String(index).padStart(2, '0')}`, labels: { [bdkLabels.instanceId]: `id-${index}`, [bdkLabels.bookName]: 'customer-support', [bdkLabels.organizationId]: 'org-acme' } },
    spec: { bookRef, customer: { namespace: 'customer-acme', organization_id: 'org-acme' } },
    ...(resolved_version ? { status: { resolved_version } } : {}),
  };
}

describe('findBook', () => {
  it('finds a book the API made by its id label, in one list call', async () => {
    expect((await findBook(deps(), apiBookId)).metadata.name).toBe('customer-support-1-0-0');
    expect(selectors).toEqual([`${bdkLabels.bookId}=${apiBookId}`]);
  });

  it('finds a book applied without the API and not labelled yet by its uid, with no second call', async () => {
    expect((await findBook(deps(), appliedUid)).metadata.name).toBe('customer-support-2-0-0');
    expect(selectors).toHaveLength(1);
  });

  it("never finds a labelled book by its uid: its id is the label's", async () => {
    await expect(findBook(deps(), '0d1e2f3a-4b5c-4d6e-8f7a-8b9c0d1e2f3a')).rejects.toMatchObject({ rawMessage: 'book 0d1e2f3a-4b5c-4d6e-8f7a-8b9c0d1e2f3a not found' });
  });
});

describe('ListBooks', () => {
  it('lists every BookDefinition, each with its id', async () => {
    const { books: listed } = await bookHandlers(deps()).listBooks({ name: '', pageSize: 0, pageToken: '' } as never, context);
    expect(listed?.map((item) => item.bookId)).toEqual([apiBookId, appliedUid]);
  });

  it('selects by the book-name label when a name is given', async () => {
    await bookHandlers(deps()).listBooks({ name: 'billing', pageSize: 0, pageToken: '' } as never, context);
    expect(selectors).toEqual([`${bdkLabels.bookName}=billing`]);
  });
});

describe('DeleteBook', () => {
  it('deletes a book the API made', async () => {
    await bookHandlers(deps()).deleteBook({ bookId: apiBookId } as never, context);
    expect(deleted).toEqual(['customer-support-1-0-0']);
  });

  it('refuses a book that instances run, naming them: pins of this version and ranges resolved to it, ten at most', async () => {
    const pinned = { name: 'customer-support-1-0-0', version: '1.0.0' };
    instances = [
      ...Array.from({ length: 11 }, (_, index) => instance(index, pinned)),
      instance(20, { name: 'customer-support', version: '^1.0.0' }, '1.0.0'),
      // Neither holds 1.0.0: another version pinned, a range that runs another version.
      instance(30, { name: 'customer-support-2-0-0', version: '2.0.0' }),
      instance(31, { name: 'customer-support', version: '^2.0.0' }, '2.0.0'),
    ];
    const refusal = bookHandlers(deps()).deleteBook({ bookId: apiBookId } as never, callerContext('org-acme'));
    await expect(refusal).rejects.toMatchObject({
      code: Code.FailedPrecondition,
      rawMessage: `book ${apiBookId} (customer-support 1.0.0) still has instances: ${Array.from({ length: 10 }, (_, index) => `id-${index} (acme-customer-support-${String(index).padStart(2, '0')})`).join(', ')}, 2 more; delete them first`,
    });
    // Another organisation's caller learns that instances hold the book, not which.
    await expect(bookHandlers(deps()).deleteBook({ bookId: apiBookId } as never, callerContext('org-other'))).rejects.toMatchObject({
      code: Code.FailedPrecondition,
      rawMessage: `book ${apiBookId} (customer-support 1.0.0) still has instances: 12 of other organisations; delete them first`,
    });
    expect(deleted).toEqual([]);
  });

  it('answers once the book is gone, not while it is still there', async () => {
    await bookHandlers(deps()).deleteBook({ bookId: apiBookId } as never, context);
    expect(books.map((item) => item.metadata.name)).toEqual(['customer-support-2-0-0']);
  });

  it('refuses a book applied without the API, which its tool would apply again', async () => {
    await expect(bookHandlers(deps()).deleteBook({ bookId: appliedUid } as never, context)).rejects.toMatchObject({
      rawMessage: expect.stringContaining('was applied without the API (BookDefinition bdk/customer-support-2-0-0'),
    });
    expect(deleted).toEqual([]);
  });
});
