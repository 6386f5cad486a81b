import { describe, expect, it } from '@jest/globals';
import type { BookDefinition } from '@bdk/k8s';
import { forwardedHeaders, triggerUrl, webhookIntegrationFor } from './webhook-integration.js';

const book = (integrations: NonNullable<BookDefinition['spec']['integrations']>): BookDefinition => ({
  apiVersion: 'bdk.voyager.io/v1',
  kind: 'BookDefinition',
  metadata: { name: 'b' },
  spec: { name: 'b', version: '1.0.0', integrations },
});

describe('webhookIntegrationFor', () => {
  it('matches config.source first, else the name, and only webhook integrations', () => {
    const b = book([
      { name: 'slack', type: 'api' },
      { name: 'tickets', type: 'webhook', config: { source: 'zendesk', endpoint: '/t' } },
      { name: 'github', type: 'webhook' },
    ]);
    expect(webhookIntegrationFor(b, 'zendesk')?.name).toBe('tickets');
    expect(webhookIntegrationFor(b, 'GitHub')?.name).toBe('github');
    expect(webhookIntegrationFor(b, 'slack')).toBeUndefined();
    expect(webhookIntegrationFor(b, 'tickets')).toBeUndefined();
  });
});

describe('triggerUrl', () => {
  it('appends the endpoint path to the book URL, defaulting to /', () => {
    expect(triggerUrl('http://book.ns.svc:8080', '/webhooks/zendesk').toString()).toBe('http://book.ns.svc:8080/webhooks/zendesk');
    expect(triggerUrl('http://127.0.0.1:9000/base/', 'hooks?x=1').toString()).toBe('http://127.0.0.1:9000/base/hooks?x=1');
    expect(triggerUrl('http://book.ns.svc:8080', undefined).toString()).toBe('http://book.ns.svc:8080/');
  });

  it('never leaves the book host, even for an absolute endpoint URL', () => {
    expect(triggerUrl('http://book.ns.svc:8080', 'http://evil.example/steal').toString()).toBe('http://book.ns.svc:8080/steal');
  });
});

describe('forwardedHeaders', () => {
  it('passes event, source and delivery ids as X-BDK-* and drops signatures and credentials', () => {
    expect(
      forwardedHeaders({
        'x-webhook-event': 'ticket.created',
        'x-webhook-source': 'zendesk',
        'x-github-delivery': 'd-1',
        'x-hub-signature-256': 'sha256=x',
        'x-webhook-signature': 'x',
        authorization: 'Bearer x',
        'x-api-key': 'k',
        'user-agent': 'Zendesk',
      }),
    ).toEqual({ 'X-BDK-Webhook-Event': 'ticket.created', 'X-BDK-Webhook-Source': 'zendesk', 'X-BDK-Github-Delivery': 'd-1' });
  });
});
