import { describe, expect, it } from '@jest/globals';
import type { BookDefinition, BookInstanceDefinition } from '@bdk/k8s';
import { routeTargets } from './routing.js';

type Integrations = NonNullable<BookDefinition['spec']['integrations']>;

function book(name: string, integrations: Integrations): BookDefinition {
  return {
    apiVersion: 'bdk.voyager.io/v1',
    kind: 'BookDefinition',
    metadata: { name, namespace: 'bdk' },
    spec: { name, version: '1.0.0', integrations },
  };
}

function instance(name: string, bookName: string, customerNamespace: string, deleting = false): BookInstanceDefinition {
  return {
    apiVersion: 'bdk.voyager.io/v1',
    kind: 'BookInstanceDefinition',
    metadata: { name, namespace: 'bdk', ...(deleting ? { deletionTimestamp: new Date() } : {}) },
    spec: { bookRef: { name: bookName, version: '1.0.0' }, customer: { namespace: customerNamespace, organization_id: 'org-1' } },
  };
}

describe('routeTargets', () => {
  const books = [
    book('customer-support-book', [
      { name: 'zendesk', type: 'webhook', config: { endpoint: '/webhooks/zendesk' } },
      { name: 'slack', type: 'api' },
    ]),
    book('ci-book', [{ name: 'prs', type: 'webhook', config: { source: 'github' } }]),
  ];

  it('returns every instance of every book that receives the source, sorted, with routed_to', () => {
    const instances = [
      instance('customer-globex-support', 'customer-support-book', 'customer-globex'),
      instance('customer-acme-support', 'customer-support-book', 'customer-acme'),
      instance('customer-acme-ci', 'ci-book', 'customer-acme'),
    ];
    expect(routeTargets('zendesk', books, instances)).toEqual([
      { namespace: 'bdk', name: 'customer-acme-support', routedTo: 'customer-acme/customer-support-book' },
      { namespace: 'bdk', name: 'customer-globex-support', routedTo: 'customer-globex/customer-support-book' },
    ]);
    expect(routeTargets('github', books, instances)).toEqual([
      { namespace: 'bdk', name: 'customer-acme-ci', routedTo: 'customer-acme/ci-book' },
    ]);
  });

  it('skips instances being deleted and instances whose book is missing', () => {
    const instances = [
      instance('deleting', 'customer-support-book', 'customer-acme', true),
      instance('orphan', 'no-such-book', 'customer-acme'),
    ];
    expect(routeTargets('zendesk', books, instances)).toEqual([]);
  });

  it('returns nothing for a source no book receives, or for the name of an api integration', () => {
    const instances = [instance('customer-acme-support', 'customer-support-book', 'customer-acme')];
    expect(routeTargets('stripe', books, instances)).toEqual([]);
    expect(routeTargets('slack', books, instances)).toEqual([]);
  });

  it('does not route across namespaces: the book must live beside the instance', () => {
    const elsewhere = { ...instance('customer-acme-support', 'customer-support-book', 'customer-acme') };
    elsewhere.metadata = { ...elsewhere.metadata, namespace: 'other' };
    expect(routeTargets('zendesk', books, [elsewhere])).toEqual([]);
  });
});
