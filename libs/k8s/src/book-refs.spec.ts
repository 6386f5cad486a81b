import { describe, expect, it } from '@jest/globals';
import { bookObjectNameOf } from './book-refs.js';
import type { BookInstanceDefinition } from './gen/crds.js';

function instance(name: string, version: string, resolvedBook?: string): Pick<BookInstanceDefinition, 'spec' | 'status'> {
  return {
    spec: { bookRef: { name, version }, customer: { namespace: 'customer-a' } } as BookInstanceDefinition['spec'],
    ...(resolvedBook === undefined ? {} : { status: { resolved_book: resolvedBook } as BookInstanceDefinition['status'] }),
  };
}

describe('bookObjectNameOf', () => {
  it('is bookRef.name for a pinned instance, whatever the status says', () => {
    expect(bookObjectNameOf(instance('reports-v1-2-0', '1.2.0'))).toBe('reports-v1-2-0');
    expect(bookObjectNameOf(instance('reports-v1-2-0', '1.2.0', 'other'))).toBe('reports-v1-2-0');
  });

  it('is the resolved BookDefinition for a range, never the book name the range follows', () => {
    expect(bookObjectNameOf(instance('reports', '^1.0.0', 'reports-v1-3-0'))).toBe('reports-v1-3-0');
  });

  it('is undefined for a range not resolved yet', () => {
    expect(bookObjectNameOf(instance('reports', '^1.0.0'))).toBeUndefined();
    expect(bookObjectNameOf(instance('reports', '^1.0.0', ''))).toBeUndefined();
  });
});
