import { describe, expect, it } from '@jest/globals';
import { bdkLabels, type BookDefinition, type BookInstanceDefinition } from '@bdk/k8s';
import { missingBookLabels, missingInstanceLabels } from './adoption-labels.js';

const bookUid = '9d2f4c1a-6b3e-4f5a-8c7d-0e1f2a3b4c5d';
const instanceUid = '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';

function book(labels?: Record<string, string>): BookDefinition {
  return {
    apiVersion: 'bdk.voyager.io/v1',
    kind: 'BookDefinition',
    metadata: { name: 'customer-support-book', namespace: 'bdk', uid: bookUid, labels },
    spec: { name: 'customer-support', version: '1.0.0' },
  };
}

function instance(labels?: Record<string, string>, organizationId = 'org-uuid-123'): BookInstanceDefinition {
  return {
    apiVersion: 'bdk.voyager.io/v1',
    kind: 'BookInstanceDefinition',
    metadata: { name: 'acme-customer-support', namespace: 'bdk', uid: instanceUid, labels },
    spec: { bookRef: { name: 'customer-support-book', version: '1.0.0' }, customer: { namespace: 'customer-acme', organization_id: organizationId } },
  };
}

describe('missingBookLabels', () => {
  it("gives a book applied without the API its uid as book-id and spec.name as book-name", () => {
    expect(missingBookLabels(book())).toEqual({ labels: { [bdkLabels.bookId]: bookUid, [bdkLabels.bookName]: 'customer-support' }, pending: [] });
  });

  it('never replaces a label that is set, nor adds what is there', () => {
    const chosen = '0b7c3f2e-8d1a-4e6b-a5c9-7f3e2d1c0b9a';
    expect(missingBookLabels(book({ [bdkLabels.bookId]: chosen })).labels).toEqual({ [bdkLabels.bookName]: 'customer-support' });
    expect(missingBookLabels(book({ [bdkLabels.bookId]: chosen, [bdkLabels.bookName]: 'customer-support' })).labels).toEqual({});
  });
});

describe('missingInstanceLabels', () => {
  it("labels an instance with its uid, its customer and its organisation from the spec, and its book's id and name", () => {
    expect(missingInstanceLabels(instance(), book())).toEqual({
      labels: {
        [bdkLabels.instanceId]: instanceUid,
        [bdkLabels.customerNamespace]: 'customer-acme',
        [bdkLabels.organizationId]: 'org-uuid-123',
        [bdkLabels.bookId]: bookUid,
        [bdkLabels.bookName]: 'customer-support',
      },
      pending: [],
    });
  });

  it("takes the book's id from its label when the API made the book", () => {
    const apiBookId = '3f0e7a52-7d0c-4bde-9a3c-1f1b2d8c9e01';
    expect(missingInstanceLabels(instance(), book({ [bdkLabels.bookId]: apiBookId })).labels[bdkLabels.bookId]).toBe(apiBookId);
  });

  it('adds nothing to an instance the API made', () => {
    const labels = {
      [bdkLabels.instanceId]: '7c6b5a49-3827-4165-8f4e-3d2c1b0a9f8e',
      [bdkLabels.bookId]: '3f0e7a52-7d0c-4bde-9a3c-1f1b2d8c9e01',
      [bdkLabels.bookName]: 'customer-support',
      [bdkLabels.customerNamespace]: 'customer-acme',
      [bdkLabels.organizationId]: 'org-uuid-123',
    };
    expect(missingInstanceLabels(instance(labels), undefined)).toEqual({ labels: {}, pending: [] });
  });

  it('keeps an organisation label that is set, even when the spec names another', () => {
    const missing = missingInstanceLabels(instance({ [bdkLabels.organizationId]: 'org-a' }, 'org-b'), book());
    expect(missing.labels[bdkLabels.organizationId]).toBeUndefined();
  });

  it("labels what it can before the book exists, and says what waits for the book", () => {
    const missing = missingInstanceLabels(instance(), undefined);
    expect(Object.keys(missing.labels).sort()).toEqual([bdkLabels.customerNamespace, bdkLabels.instanceId, bdkLabels.organizationId].sort());
    expect(missing.pending).toEqual(['its BookDefinition customer-support-book does not exist yet']);
  });

  it('gives no organisation label for an organisation id that is no label value, so no organisation sees it', () => {
    const missing = missingInstanceLabels(instance(undefined, `org-${'x'.repeat(80)}`), book());
    expect(missing.labels[bdkLabels.organizationId]).toBeUndefined();
    expect(missing.pending).toEqual([expect.stringContaining('is not a label value')]);
    expect(missingInstanceLabels(instance(undefined, 'acme corp'), book()).labels[bdkLabels.organizationId]).toBeUndefined();
  });
});
