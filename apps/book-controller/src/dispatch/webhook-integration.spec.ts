import { describe, expect, it } from '@jest/globals';
import { forwardedHeaders, triggerUrl } from './webhook-integration.js';

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
