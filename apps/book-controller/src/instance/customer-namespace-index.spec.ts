import { describe, expect, it } from '@jest/globals';
import { CustomerNamespaceIndex } from './customer-namespace-index.js';

describe('CustomerNamespaceIndex', () => {
  it('finds the instances of a customer namespace, and only those', () => {
    const index = new CustomerNamespaceIndex();
    index.update('bdk/a', 'customer-acme');
    index.update('bdk/b', 'customer-acme');
    index.update('bdk/c', 'customer-globex');
    expect([...index.keys('customer-acme')].sort()).toEqual(['bdk/a', 'bdk/b']);
    expect(index.keys('customer-globex')).toEqual(['bdk/c']);
    expect(index.keys('customer-none')).toEqual([]);
  });

  it('forgets a deleted instance and follows one that moved', () => {
    const index = new CustomerNamespaceIndex();
    index.update('bdk/a', 'customer-acme');
    index.update('bdk/b', 'customer-acme');
    index.update('bdk/a', undefined);
    index.update('bdk/b', 'customer-globex');
    expect(index.keys('customer-acme')).toEqual([]);
    expect(index.keys('customer-globex')).toEqual(['bdk/b']);
    // Updates that change nothing keep it as it is.
    index.update('bdk/b', 'customer-globex');
    index.update('bdk/gone', undefined);
    expect(index.keys('customer-globex')).toEqual(['bdk/b']);
  });
});
