import { Code, ConnectError, createHandlerContext, type HandlerContext } from '@connectrpc/connect';
import { describe, expect, it } from '@jest/globals';
import { BookLibraryService } from '@bdk/proto';
import { bdkLabels, type BookDefinition, type BookDefinitionSpec } from '@bdk/k8s';
import { admitNewInstance, warningHeader, warningValue } from './book-lifecycle.js';

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
