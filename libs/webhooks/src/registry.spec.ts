import { describe, expect, it } from '@jest/globals';
import { schemeHeaders } from './registry.js';

describe('schemeHeaders', () => {
  it('lists the headers each scheme reads, as its sender spells them', () => {
    expect(schemeHeaders('github')).toEqual(['X-Hub-Signature-256']);
    expect(schemeHeaders('zendesk')).toEqual(['X-Zendesk-Webhook-Signature', 'X-Zendesk-Webhook-Signature-Timestamp']);
    expect(schemeHeaders('slack')).toEqual(['X-Slack-Signature', 'X-Slack-Request-Timestamp']);
    expect(schemeHeaders('stripe')).toEqual(['Stripe-Signature']);
    expect(schemeHeaders('standard-webhooks')).toEqual(['webhook-id', 'webhook-timestamp', 'webhook-signature']);
  });

  it('throws for a name that is not a scheme', () => {
    expect(() => schemeHeaders('constructor' as never)).toThrow('unknown webhook signature scheme "constructor"');
  });
});
