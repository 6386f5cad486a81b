// The webhooks both sides are loaded with: Zendesk-shaped JSON bodies of one fixed size, signed as Zendesk signs
// with the instance's secret, each request with its own Zendesk invocation id (the sender's delivery id), so none
// is a sender's retry of another. The baseline gets the very same requests, so the generator does the same work
// for both.
//
// Signing is slow next to sending (an HMAC with a text key costs about 100 µs here, more than the rest of a
// request's work in the generator), so a pool of bodies is signed ahead and reused in turn, each re-signed once its
// signature is a minute old: well inside the 5-minute timestamp tolerance, however long a run is. Zendesk signs the
// timestamp and the body, not the invocation id, so reusing a body does not make a request a retry.
import { randomUUID } from 'node:crypto';
import { seedWebhookHeaders } from '@bdk/testing';
import { signPayload } from '@bdk/webhooks';
import type { WebhookRequest } from './load-generator.js';

/** The ticket id's digits: fixed, so every body has the same size. */
const idDigits = 12;
const poolSize = 256;
const resignAfterMs = 60_000;

/** A body of exactly `bytes` bytes for webhook number `sequence`. */
export function webhookBody(sequence: number, bytes: number): Buffer {
  const ticket = (description: string) =>
    JSON.stringify({
      ticket: { id: String(sequence).padStart(idDigits, '0'), subject: 'Login issue', customer_id: 'customer-789', priority: 'high', description },
      timestamp: '2024-01-01T00:00:00Z',
    });
  const padding = bytes - Buffer.byteLength(ticket(''));
  if (padding < 0) throw new RangeError(`a webhook body needs at least ${bytes - padding} bytes`);
  return Buffer.from(ticket('x'.repeat(padding)));
}

interface Signed {
  body: Buffer;
  signature: Record<string, string>;
  signedAt: number;
}

/** A source of signed webhooks; `now` is for tests. */
export function signedWebhooks(secret: string, bodyBytes: number, now: () => number = Date.now): () => WebhookRequest {
  const sign = (body: Buffer): Signed => ({ body, signature: signPayload({ scheme: 'zendesk', payload: body, secret, timestamp: new Date(now()) }), signedAt: now() });
  const pool = Array.from({ length: poolSize }, (_, i) => sign(webhookBody(i + 1, bodyBytes)));
  let next = 0;
  return () => {
    const index = next;
    next = (next + 1) % poolSize;
    let entry = pool[index] as Signed;
    if (now() - entry.signedAt >= resignAfterMs) {
      entry = sign(entry.body);
      pool[index] = entry;
    }
    return { body: entry.body, headers: { ...seedWebhookHeaders, 'x-zendesk-webhook-invocation-id': randomUUID(), ...entry.signature } };
  };
}
