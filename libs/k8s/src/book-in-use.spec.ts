// Which instances hold a book from deletion, and how they are named.
import { describe, expect, it } from '@jest/globals';
import { describeHolders, holdersOf, holdsBook } from './book-in-use.js';
import type { BookDefinition, BookInstanceDefinition } from './gen/crds.js';
import { bdkLabels } from './labels.js';

function book(version: string): BookDefinition {
  return {
    apiVersion: 'bdk.voyager.io/v1',
    kind: 'BookDefinition',
    metadata: { name: `customer-support-${version.replace(/[^0-9a-z]/g, '-')}`, labels: {} },
    spec: { name: 'customer-support', version },
  };
}

const instance = (bookRef: { name: string; version: string }, resolved_version?: string, name = 'i'): BookInstanceDefinition => ({
  apiVersion: 'bdk.voyager.io/v1',
  kind: 'BookInstanceDefinition',
  metadata: { name, labels: { [bdkLabels.instanceId]: `id-${name}` } },
  spec: { bookRef, customer: { namespace: 'customer-acme', organization_id: 'org-acme' } },
  ...(resolved_version ? { status: { resolved_version } } : {}),
});

describe('holdsBook', () => {
  it('an exact pin holds the object it names; a range the version it runs', () => {
    const v1 = book('1.0.0');
    expect(holdsBook(instance({ name: 'customer-support-1-0-0', version: '1.0.0' }), v1)).toBe(true);
    expect(holdsBook(instance({ name: 'customer-support-1-1-0', version: '1.1.0' }), v1)).toBe(false);
    expect(holdsBook(instance({ name: 'customer-support', version: '^1.0.0' }, '1.0.0'), v1)).toBe(true);
    expect(holdsBook(instance({ name: 'customer-support', version: '^1.0.0' }, '1.1.0'), v1)).toBe(false);
    expect(holdsBook(instance({ name: 'customer-support', version: '^1.0.0' }), v1)).toBe(false);
  });
});

describe('holdersOf', () => {
  it('keeps only the instances that hold the book', () => {
    const pinned = instance({ name: 'customer-support-1-0-0', version: '1.0.0' }, undefined, 'pinned');
    const moved = instance({ name: 'customer-support', version: '^1.0.0' }, '1.1.0', 'moved');
    const following = instance({ name: 'customer-support', version: '^1.0.0' }, '1.0.0', 'following');
    expect(holdersOf(book('1.0.0'), [pinned, moved, following]).map((holder) => holder.metadata.name)).toEqual(['pinned', 'following']);
  });
});

describe('describeHolders', () => {
  const holders = ['c', 'a', 'b'].map((name) => instance({ name: 'customer-support-1-0-0', version: '1.0.0' }, undefined, name));

  it('names the holders by object name', () => {
    expect(describeHolders(holders)).toBe('id-a (a), id-b (b), id-c (c)');
  });

  it('counts the ones past the limit', () => {
    expect(describeHolders(holders, 2)).toBe('id-a (a), id-b (b) and 1 more');
  });
});
