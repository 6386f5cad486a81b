import { describe, expect, it } from '@jest/globals';
import { verifySignature } from '@bdk/webhooks';
import { signedWebhooks, webhookBody } from './webhook-requests.js';

const secret = 'whsec_' + Buffer.alloc(32, 7).toString('base64');
const verify = (request: { headers: Record<string, string>; body: Buffer }, now: Date) =>
  verifySignature({ scheme: 'zendesk', payload: request.body, header: (name) => request.headers[name] ?? null, secrets: [secret], now });

describe('webhookBody', () => {
  it('is JSON of exactly the size asked for, whatever the sequence number', () => {
    for (const sequence of [1, 99_999, 123_456_789]) {
      const body = webhookBody(sequence, 1_024);
      expect(body.length).toBe(1_024);
      expect(JSON.parse(body.toString())).toMatchObject({ ticket: { id: String(sequence).padStart(12, '0') } });
    }
  });

  it('refuses a size too small for the ticket', () => {
    expect(() => webhookBody(1, 50)).toThrow(RangeError);
  });
});

describe('signedWebhooks', () => {
  it('signs as Zendesk does with the given secret, and gives every request its own invocation id', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const next = signedWebhooks(secret, 512, () => now.getTime());
    const requests = Array.from({ length: 300 }, () => next());
    for (const request of requests) expect(verify(request, now)).toMatchObject({ ok: true });
    expect(new Set(requests.map((request) => request.headers['x-zendesk-webhook-invocation-id'])).size).toBe(300);
    expect(requests[0]?.headers).toMatchObject({ 'Content-Type': 'application/json', 'X-Webhook-Source': 'zendesk' });
  });

  it('re-signs a body once its signature is a minute old, so none goes stale in a long run', () => {
    let clock = new Date('2026-01-01T00:00:00Z').getTime();
    const next = signedWebhooks(secret, 512, () => clock);
    const first = next();
    clock += 10 * 60_000;
    for (let i = 0; i < 255; i++) next();
    const again = next();
    expect(again.body.equals(first.body)).toBe(true);
    expect(verify(again, new Date(clock))).toMatchObject({ ok: true });
    expect(verify(first, new Date(clock))).toMatchObject({ ok: false, reason: 'stale_timestamp' });
  });
});
