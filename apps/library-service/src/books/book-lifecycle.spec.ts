import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, createHandlerContext, type HandlerContext } from '@connectrpc/connect';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { BookLibraryService, CreateBookInstanceRequestSchema, CreateBookInstanceResponseSchema } from '@bdk/proto';
import { bdkLabels, type BookDefinition, type BookDefinitionSpec } from '@bdk/k8s';
import { createLogger } from '@bdk/service-runtime';
import type { LibraryDeps } from '../library-deps.js';
import { admitNewInstance, checkingBookLifecycle, warningHeader, warningValue } from './book-lifecycle.js';

const bookId = '3f0e7a52-7d0c-4bde-9a3c-1f1b2d8c9e01';

function book(lifecycle?: BookDefinitionSpec['lifecycle']): BookDefinition {
  return {
    apiVersion: 'bdk.voyager.io/v1',
    kind: 'BookDefinition',
    metadata: { name: 'customer-support-1-0-0', labels: { [bdkLabels.bookId]: bookId } },
    spec: { name: 'customer-support', version: '1.0.0', ...(lifecycle ? { lifecycle } : {}) },
  };
}

function context(): HandlerContext {
  return createHandlerContext({
    service: BookLibraryService,
    method: BookLibraryService.method.createBookInstance,
    protocolName: 'grpc',
    requestMethod: 'POST',
    url: 'http://127.0.0.1/bdk.v1.BookLibraryService/CreateBookInstance',
  });
}

function refusal(run: () => unknown): [Code, string] | undefined {
  try {
    run();
  } catch (error) {
    const connectError = ConnectError.from(error);
    return [connectError.code, connectError.rawMessage];
  }
  return undefined;
}

describe('admitNewInstance', () => {
  it('admits an active version, or one with no lifecycle, without a warning', () => {
    for (const lifecycle of [undefined, { state: 'active' as const }]) {
      const ctx = context();
      expect(refusal(() => admitNewInstance(book(lifecycle), ctx))).toBeUndefined();
      expect(ctx.responseHeader.get(warningHeader)).toBeNull();
    }
  });

  it('admits a deprecated version with a warning naming it and the reason', () => {
    const ctx = context();
    admitNewInstance(book({ state: 'deprecated', message: 'use customer-support 2.0.0' }), ctx);
    expect(ctx.responseHeader.get(warningHeader)).toBe('299 - "book customer-support version 1.0.0 is deprecated: use customer-support 2.0.0"');
  });

  it('refuses a withdrawn version with FAILED_PRECONDITION naming it', () => {
    expect(refusal(() => admitNewInstance(book({ state: 'withdrawn', message: 'a data leak; use 1.0.1' }), context()))).toEqual([
      Code.FailedPrecondition,
      'book customer-support version 1.0.0 is withdrawn: a data leak; use 1.0.1; it takes no new instances',
    ]);
    expect(refusal(() => admitNewInstance(book({ state: 'withdrawn' }), context()))?.[1]).toBe(
      'book customer-support version 1.0.0 is withdrawn; it takes no new instances',
    );
  });
});

describe('warningValue', () => {
  it('quotes the text, escaping quotes and backslashes and replacing what a header cannot carry', () => {
    expect(warningValue('say "2.0.0" \\ now')).toBe('299 - "say \\"2.0.0\\" \\\\ now"');
    expect(warningValue('naïve\nline')).toBe('299 - "na?ve?line"');
    // Headers reject anything else: this must not throw.
    expect(() => new Headers({ warning: warningValue('ünïcödé ✓\r\n') })).not.toThrow();
  });
});

describe('checkingBookLifecycle', () => {
  let created: number;
  let stored: BookDefinition[];

  beforeEach(() => {
    created = 0;
    stored = [];
  });

  function deps(): LibraryDeps {
    const selected = (selector = '') => stored.filter((item) => selector === `${bdkLabels.bookId}=${item.metadata.labels?.[bdkLabels.bookId]}`);
    return {
      namespace: 'bdk',
      resources: { books: { list: (_ns: string, options?: { labelSelector?: string }) => Promise.resolve({ items: selected(options?.labelSelector), metadata: {} }) } },
      logger: createLogger('library-service', { write: () => undefined }),
    } as unknown as LibraryDeps;
  }

  /** CreateBookInstance behind the check, with a handler that only counts its calls. */
  function createBookInstance() {
    return checkingBookLifecycle(deps(), () => {
      created += 1;
      return Promise.resolve(create(CreateBookInstanceResponseSchema, { bookId }));
    });
  }
  const request = create(CreateBookInstanceRequestSchema, { bookId, customerNamespace: 'customer-acme' });

  it('runs the handler for an active version', async () => {
    stored.push(book());
    await createBookInstance()(request, context());
    expect(created).toBe(1);
  });

  it('never runs the handler for a withdrawn version', async () => {
    stored.push(book({ state: 'withdrawn' }));
    await expect(createBookInstance()(request, context())).rejects.toMatchObject({ code: Code.FailedPrecondition });
    expect(created).toBe(0);
  });

  it('refuses a malformed request as the handler would, before looking up the book', async () => {
    stored.push(book({ state: 'withdrawn' }));
    const malformed = create(CreateBookInstanceRequestSchema, { bookId, customerNamespace: 'Customer Acme' });
    await expect(createBookInstance()(malformed, context())).rejects.toMatchObject({ code: Code.InvalidArgument });
  });

  it('answers NOT_FOUND for an unknown book', async () => {
    await expect(createBookInstance()(request, context())).rejects.toMatchObject({ code: Code.NotFound });
  });
});
