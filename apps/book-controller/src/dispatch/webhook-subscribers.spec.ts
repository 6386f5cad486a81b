import { describe, expect, it } from '@jest/globals';
import { bdkLabels, webhookSigningSecretName, type BookDefinition, type BookInstanceDefinition } from '@bdk/k8s';
import type { V1Secret } from '@kubernetes/client-node';
import { webhookSubscribers } from './webhook-subscribers.js';

const t0 = new Date('2026-03-01T12:00:00.000Z');

function book(name: string, integrations: NonNullable<BookDefinition['spec']['integrations']>): BookDefinition {
  return { apiVersion: 'bdk.voyager.io/v1', kind: 'BookDefinition', metadata: { name, namespace: 'bdk' }, spec: { name, version: '1.0.0', integrations } } as BookDefinition;
}

function instance(name: string, options: { id: string; org: string; book: string; namespace: string; deleting?: boolean }): BookInstanceDefinition {
  return {
    apiVersion: 'bdk.voyager.io/v1',
    kind: 'BookInstanceDefinition',
    metadata: {
      name,
      namespace: 'bdk',
      labels: { [bdkLabels.instanceId]: options.id, [bdkLabels.organizationId]: options.org },
      ...(options.deleting ? { deletionTimestamp: t0 } : {}),
    },
    spec: { bookRef: { name: options.book, version: '1.0.0' }, customer: { namespace: options.namespace, organization_id: options.org } },
  };
}

function signingSecret(inst: BookInstanceDefinition, bookName: string, entries: Record<string, object>, labels: Record<string, string> = {}): V1Secret {
  const id = inst.metadata.labels?.[bdkLabels.instanceId] ?? '';
  return {
    metadata: {
      name: webhookSigningSecretName(bookName, id),
      namespace: inst.spec.customer.namespace,
      labels: { [bdkLabels.instanceId]: id, [bdkLabels.organizationId]: inst.metadata.labels?.[bdkLabels.organizationId] ?? '', ...labels },
    },
    data: Object.fromEntries(Object.entries(entries).map(([key, entry]) => [key, Buffer.from(JSON.stringify(entry)).toString('base64')])),
  };
}

const support = book('support', [
  { name: 'zendesk', type: 'webhook', config: { endpoint: '/webhooks/zendesk', payload_schema: { type: 'object', required: ['ticket'] }, input_mapping: { customer_id: '/ticket/customer_id' } } },
  { name: 'hooks', type: 'webhook', config: { source: 'acme', scheme: 'github' } },
]);
support.spec.schema = { inputs: [{ name: 'customer_id', type: 'string', required: true }, { name: 'issue_type', enum: ['billing', 'technical'] }] };
const other = book('other', [{ name: 'slack', type: 'api' }]);
const a = instance('a', { id: 'id-a', org: 'org-a', book: 'support', namespace: 'customer-a' });
const b = instance('b', { id: 'id-b', org: 'org-b', book: 'support', namespace: 'customer-b' });
const gone = instance('gone', { id: 'id-gone', org: 'org-a', book: 'support', namespace: 'customer-a', deleting: true });
const unsigned = instance('unsigned', { id: 'id-unsigned', org: 'org-a', book: 'support', namespace: 'customer-a' });
const noWebhook = instance('nowebhook', { id: 'id-nw', org: 'org-a', book: 'other', namespace: 'customer-a' });
const secrets = [
  signingSecret(a, 'support', { zendesk: { current: 'a-new', previous: 'a-old', previousExpiresAt: '2026-03-01T12:00:02.000Z' }, acme: { current: 'a-acme' } }),
  signingSecret(b, 'support', { zendesk: { current: 'b-1' } }),
  signingSecret(gone, 'support', { zendesk: { current: 'gone-1' } }),
];

const list = (source: string, options: { instanceId?: string; now?: Date; secrets?: V1Secret[] } = {}) =>
  webhookSubscribers({
    source,
    instanceId: options.instanceId ?? '',
    instances: [a, b, gone, unsigned, noWebhook],
    book: (name) => [support, other].find((candidate) => candidate.metadata.name === name),
    signingSecret: (namespace, name) => (options.secrets ?? secrets).find((s) => s.metadata?.namespace === namespace && s.metadata.name === name),
    now: options.now ?? t0,
  });

describe('webhookSubscribers', () => {
  it("reaches a range instance's resolved BookDefinition, and skips one whose range is not resolved yet", () => {
    const supportV2 = book('support-v2-0-0', [{ name: 'zendesk', type: 'webhook', config: { endpoint: '/webhooks/zendesk' } }]);
    supportV2.spec.name = 'support';
    const ranged = (name: string, id: string, resolvedBook?: string): BookInstanceDefinition => {
      const inst = instance(name, { id, org: 'org-a', book: 'support', namespace: 'customer-a' });
      inst.spec.bookRef.version = '^2.0.0';
      if (resolvedBook !== undefined) inst.status = { resolved_book: resolvedBook, resolved_version: '2.0.0' };
      return inst;
    };
    const resolved = ranged('resolved', 'id-resolved', 'support-v2-0-0');
    const pending = ranged('pending', 'id-pending');
    const subscribers = webhookSubscribers({
      source: 'zendesk',
      instanceId: '',
      instances: [resolved, pending],
      // 'support' is also a BookDefinition's object name: a range must not fall back on it.
      book: (name) => [support, supportV2].find((candidate) => candidate.metadata.name === name),
      signingSecret: (namespace, name) =>
        [signingSecret(resolved, 'support', { zendesk: { current: 'r-1' } }), signingSecret(pending, 'support', { zendesk: { current: 'p-1' } })].find(
          (s) => s.metadata?.namespace === namespace && s.metadata.name === name,
        ),
      now: t0,
    });
    expect(subscribers.map((s) => [s.instanceId, s.book])).toEqual([['id-resolved', 'support-v2-0-0']]);
  });

  it('lists the instances whose book takes the source and that have a signing secret, skipping those being deleted', () => {
    const subscribers = list('zendesk');
    expect(subscribers.map((s) => s.instanceId)).toEqual(['id-a', 'id-b']);
    expect(subscribers[0]).toMatchObject({
      target: { namespace: 'bdk', name: 'a' },
      organizationId: 'org-a',
      routedTo: 'customer-a/support',
      scheme: 'zendesk',
      secrets: ['a-new', 'a-old'],
    });
  });

  it("carries the book, its integration's payload contract and its inputs, for the router to check payloads", () => {
    expect(list('zendesk')[0]).toMatchObject({
      book: 'support',
      payloadContract: { endpoint: '', payloadSchema: { type: 'object', required: ['ticket'] }, inputMapping: { customer_id: '/ticket/customer_id' } },
      inputs: [
        { name: 'customer_id', type: 'string', required: true, enum: [] },
        { name: 'issue_type', type: '', required: false, enum: ['billing', 'technical'] },
      ],
    });
    // An integration that declares no contract: none to check.
    expect(list('acme')[0]?.payloadContract).toMatchObject({ inputMapping: {} });
    expect(list('acme')[0]?.payloadContract?.payloadSchema).toBeUndefined();
  });

  it('drops the previous secret once its window has passed', () => {
    expect(list('zendesk', { now: new Date('2026-03-01T12:00:02.000Z') })[0]?.secrets).toEqual(['a-new']);
  });

  it("uses the integration's scheme, else the source's default, and matches the source in any case", () => {
    expect(list('ACME')).toEqual([expect.objectContaining({ instanceId: 'id-a', scheme: 'github', secrets: ['a-acme'] })]);
  });

  it('narrows to one instance id, and finds nothing for a source no book takes', () => {
    expect(list('zendesk', { instanceId: 'id-b' }).map((s) => s.instanceId)).toEqual(['id-b']);
    expect(list('zendesk', { instanceId: 'id-unknown' })).toEqual([]);
    expect(list('slack')).toEqual([]);
  });

  it("does not trust a Secret of the right name that carries another instance's or organisation's label", () => {
    const forged = [signingSecret(a, 'support', { zendesk: { current: 'forged' } }, { [bdkLabels.organizationId]: 'org-b' }), secrets[1] as V1Secret];
    expect(list('zendesk', { secrets: forged }).map((s) => s.instanceId)).toEqual(['id-b']);
  });
});
