import { describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { headerLookup } from '../__fixtures__/senders.js';
import { signPayload } from '../sign-payload.js';
import { verifySignature } from '../verify-signature.js';

// Zendesk's documentation gives the formula, base64(HMACSHA256(TIMESTAMP + BODY)), and a sample secret, but no
// signature for them; this one was computed with OpenSSL:
//   printf '%s%s' "$TIMESTAMP" "$BODY" | openssl dgst -sha256 -hmac "$SECRET" -binary | base64
const example = {
  secret: 'dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==',
  timestamp: '2021-07-25T10:00:00Z',
  payload: Buffer.from('{"say": "hello"}'),
  signature: 'gf3v0LzLRHPUnIdhbvwRDVEvzSb07/QN0GYjSNlkBT0=',
};
const signedAt = new Date(example.timestamp);
const exampleHeaders = {
  'x-zendesk-webhook-signature': example.signature,
  'x-zendesk-webhook-signature-timestamp': example.timestamp,
};

const verify = (headers: Record<string, string>, now = new Date(signedAt.getTime() + 30_000)) =>
  verifySignature({ scheme: 'zendesk', payload: example.payload, header: headerLookup(headers), secrets: [example.secret], now });

describe('zendesk', () => {
  it('accepts a signature over the timestamp followed by the body, keyed with the secret\u2019s text', () => {
    expect(verify(exampleHeaders)).toEqual({ ok: true, secretIndex: 0, timestamp: signedAt });
  });

  it('signs as Zendesk does, with the time in whole seconds', () => {
    const at = new Date(signedAt.getTime() + 999);
    expect(signPayload({ scheme: 'zendesk', payload: example.payload, secret: example.secret, timestamp: at })).toEqual(exampleHeaders);
  });

  it('covers the timestamp text: the same instant written otherwise is a mismatch', () => {
    expect(verify({ ...exampleHeaders, 'x-zendesk-webhook-signature-timestamp': '2021-07-25T10:00:00.000Z' })).toMatchObject({
      ok: false,
      reason: 'signature_mismatch',
    });
  });

  it('reads fractional seconds and offsets', () => {
    expect(verify(signedWith('2021-07-25T10:00:00.250Z'))).toMatchObject({ ok: true, timestamp: new Date(signedAt.getTime() + 250) });
    expect(verify(signedWith('2021-07-25T12:00:00+02:00'))).toMatchObject({ ok: true, timestamp: signedAt });
  });

  it.each([
    ['in hex', '81fdefd0bccb4473d49c876f6fbc110d512fcd26f4eff40dd066234cd964053d'],
    ['cut short', example.signature.slice(0, 40)],
    ['with a character outside base64', `${example.signature.slice(0, 42)}_=`],
  ])('refuses a signature %s as malformed', (_, value) => {
    expect(verify({ ...exampleHeaders, 'x-zendesk-webhook-signature': value })).toEqual({
      ok: false,
      reason: 'malformed_signature',
      message: 'malformed X-Zendesk-Webhook-Signature: expected <base64 HMAC-SHA256 of the timestamp followed by the body>',
    });
  });

  it('refuses a signature without its timestamp, naming the timestamp header', () => {
    expect(verify({ 'x-zendesk-webhook-signature': example.signature })).toEqual({
      ok: false,
      reason: 'malformed_signature',
      message: 'missing X-Zendesk-Webhook-Signature-Timestamp: expected an ISO 8601 time such as 2021-07-25T10:00:00Z',
    });
  });

  it.each(['1627207200', '2021-07-25 10:00:00Z', '2021-07-25T10:00:00', 'Sun, 25 Jul 2021 10:00:00 GMT'])(
    'refuses the timestamp "%s" as malformed',
    (timestamp) => {
      expect(verify({ ...exampleHeaders, 'x-zendesk-webhook-signature-timestamp': timestamp })).toMatchObject({
        ok: false,
        reason: 'malformed_signature',
        message: expect.stringContaining('X-Zendesk-Webhook-Signature-Timestamp'),
      });
    },
  );
});

/** Headers for the example body signed with a given timestamp text, computed as Zendesk's formula says. */
function signedWith(timestamp: string): Record<string, string> {
  return {
    'x-zendesk-webhook-signature': createHmac('sha256', example.secret).update(timestamp).update(example.payload).digest('base64'),
    'x-zendesk-webhook-signature-timestamp': timestamp,
  };
}
