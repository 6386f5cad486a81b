import { describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { headerLookup } from '../__fixtures__/senders.js';
import { signPayload } from '../sign-payload.js';
import { verifySignature } from '../verify-signature.js';

// Stripe documents the scheme but publishes no secret with a signature; this one was computed with OpenSSL:
//   printf '%s.%s' "$T" "$BODY" | openssl dgst -sha256 -hmac "$SECRET"
const example = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  t: '1492774577',
  payload: Buffer.from('{"id":"evt_1OxBdk","object":"event","type":"invoice.paid"}'),
  v1: '238d7f42010e5c35b51477d29585b96083937d64695eddbfc5ecefbd2bfee16b',
};
const signedAt = new Date(Number(example.t) * 1000);
// A well-formed signature that matches nothing, like the v0 Stripe adds in test mode or the v1 of a retired secret.
const otherDigest = 'a'.repeat(64);

const verify = (value: string, now = new Date(signedAt.getTime() + 30_000)) =>
  verifySignature({ scheme: 'stripe', payload: example.payload, header: headerLookup({ 'stripe-signature': value }), secrets: [example.secret], now });

describe('stripe', () => {
  it('accepts a v1 signature over t.body keyed with the whole secret text', () => {
    expect(verify(`t=${example.t},v1=${example.v1}`)).toEqual({ ok: true, secretIndex: 0, timestamp: signedAt });
  });

  it('signs as Stripe does', () => {
    expect(signPayload({ scheme: 'stripe', payload: example.payload, secret: example.secret, timestamp: signedAt })).toEqual({
      'stripe-signature': `t=${example.t},v1=${example.v1}`,
    });
  });

  it('does not key with the base64 the secret seems to contain (that is Standard Webhooks\u2019 rule)', () => {
    const decodedKey = Buffer.from(example.secret.slice('whsec_'.length), 'base64');
    const v1 = createHmac('sha256', decodedKey).update(`${example.t}.`).update(example.payload).digest('hex');
    expect(verify(`t=${example.t},v1=${v1}`)).toMatchObject({ ok: false, reason: 'signature_mismatch' });
  });

  it('accepts any matching v1 among several, as Stripe sends while it rotates a secret, and ignores v0', () => {
    expect(verify(`t=${example.t},v1=${otherDigest},v1=${example.v1},v0=${otherDigest}`)).toMatchObject({ ok: true });
    expect(verify(`t=${example.t},v1=${otherDigest},v0=${example.v1}`)).toMatchObject({ ok: false, reason: 'signature_mismatch' });
  });

  it('refuses a signature whose t was changed', () => {
    expect(verify(`t=${Number(example.t) + 1},v1=${example.v1}`)).toMatchObject({ ok: false, reason: 'signature_mismatch' });
  });

  it.each([
    ['without t', `v1=${example.v1}`],
    ['with two t', `t=${example.t},t=${example.t},v1=${example.v1}`],
    ['with t not in unix seconds', `t=2017-04-21T11:36:17Z,v1=${example.v1}`],
    ['without v1', `t=${example.t},v0=${example.v1}`],
    ['with a v1 that is not 64 hex digits', `t=${example.t},v1=${example.v1},v1=${example.v1.slice(1)}`],
    ['that is a bare signature', example.v1],
  ])('refuses a header %s as malformed', (_, value) => {
    expect(verify(value)).toEqual({
      ok: false,
      reason: 'malformed_signature',
      message: 'malformed Stripe-Signature: expected t=<unix seconds>,v1=<64 hex digits of the HMAC-SHA256 of "<t>.<body>">',
    });
  });
});
