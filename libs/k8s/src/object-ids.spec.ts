import { describe, expect, it } from '@jest/globals';
import { bdkLabels } from './labels.js';
import { bookIdOf, instanceIdOf } from './object-ids.js';

const uid = '5f1c9a7e-3b2d-4c8e-9f00-1a2b3c4d5e6f';
const labelled = '0b7c3f2e-8d1a-4e6b-a5c9-7f3e2d1c0b9a';

describe('bookIdOf and instanceIdOf', () => {
  it('answer the id label the API set', () => {
    expect(bookIdOf({ metadata: { uid, labels: { [bdkLabels.bookId]: labelled } } })).toBe(labelled);
    expect(instanceIdOf({ metadata: { uid, labels: { [bdkLabels.instanceId]: labelled } } })).toBe(labelled);
  });

  it('answer the uid of an object applied without the API', () => {
    expect(bookIdOf({ metadata: { uid, labels: { [bdkLabels.bookName]: 'customer-support' } } })).toBe(uid);
    expect(instanceIdOf({ metadata: { uid } })).toBe(uid);
  });

  it('never take one kind of id label for the other', () => {
    expect(bookIdOf({ metadata: { uid, labels: { [bdkLabels.instanceId]: labelled } } })).toBe(uid);
    expect(instanceIdOf({ metadata: { uid, labels: { [bdkLabels.bookId]: labelled } } })).toBe(uid);
  });
});
