import { describe, expect, it } from '@jest/globals';
import { headerLookup } from '../__fixtures__/senders.js';
import { signPayload } from '../sign-payload.js';
import { verifySignature } from '../verify-signature.js';

// The test vector of the specification's reference libraries (standard-webhooks/standard-webhooks,
// libraries/javascript/src/webhook.test.ts, "sign function works").
const vector = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: '1614265330',
  payload: Buffer.from('{"test": 2432232314}'),
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};
const signedAt = new Date(Number(vector.timestamp) * 1000);
const vectorHeaders = { 'webhook-id': vector.id, 'webhook-timestamp': vector.timestamp, 'webhook-signature': vector.signature };

const verify = (headers: Record<string, string>, now = new Date(signedAt.getTime() + 30_000)) =>
  verifySignature({ scheme: 'standard-webhooks', payload: vector.payload, header: headerLookup(headers), secrets: [vector.secret], now });

describe('standard-webhooks', () => {
  it('accepts the specification\u2019s test vector and returns the delivery id', () => {
    expect(verify(vectorHeaders)).toEqual({ ok: true, secretIndex: 0, timestamp: signedAt, deliveryId: vector.id });
  });

  it('signs the test vector as the reference libraries do', () => {
    expect(
      signPayload({ scheme: 'standard-webhooks', payload: vector.payload, secret: vector.secret, timestamp: signedAt, id: vector.id }),
    ).toEqual(vectorHeaders);
  });

  it('gives each signed delivery its own id unless told one', () => {
    const sign = () => signPayload({ scheme: 'standard-webhooks', payload: vector.payload, secret: vector.secret })['webhook-id'];
    const [first, second] = [sign(), sign()];
    expect(first).toMatch(/^msg_[0-9a-f]{24}$/);
    expect(second).not.toBe(first);
  });

  it('accepts a list with one valid signature among others, as senders send while rotating', () => {
    // The reference libraries' "multi sig payload is valid" case.
    const other = 'Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=';
    const signatures = [`v1,${other}`, `v2,${other}`, vector.signature, `v1,${other}`].join(' ');
    expect(verify({ ...vectorHeaders, 'webhook-signature': signatures })).toMatchObject({ ok: true });
    expect(verify({ ...vectorHeaders, 'webhook-signature': `v1,${other} v1a,${other}` })).toMatchObject({ ok: false, reason: 'signature_mismatch' });
  });

  it('covers the id: the same signature under another id is a mismatch', () => {
    expect(verify({ ...vectorHeaders, 'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJeK' })).toMatchObject({ ok: false, reason: 'signature_mismatch' });
  });

  it.each([
    ['only an asymmetric (v1a) signature', `v1a,${vector.signature.slice(3)}`],
    ['a bare signature', vector.signature.slice(3)],
    ['a partial signature', vector.signature.slice(0, 8)],
    ['v1 and nothing', 'v1,'],
    ['the reference libraries\u2019 invalid signature', 'v1,dawfeoifkpqwoekfpqoekf'],
  ])('refuses %s as malformed', (_, value) => {
    expect(verify({ ...vectorHeaders, 'webhook-signature': value })).toEqual({
      ok: false,
      reason: 'malformed_signature',
      message: expect.stringMatching(/^malformed webhook-signature: expected v1,<base64 HMAC-SHA256/),
    });
  });

  it.each([
    ['webhook-id', 'missing webhook-id: expected the id of the delivery'],
    ['webhook-timestamp', 'missing webhook-timestamp: expected unix seconds'],
  ])('refuses a signature without %s, naming it', (name, message) => {
    const headers = Object.fromEntries(Object.entries(vectorHeaders).filter(([header]) => header !== name));
    expect(verify(headers)).toEqual({ ok: false, reason: 'malformed_signature', message });
  });

  it('refuses a timestamp that is not unix seconds', () => {
    expect(verify({ ...vectorHeaders, 'webhook-timestamp': 'hello' })).toEqual({
      ok: false,
      reason: 'malformed_signature',
      message: 'malformed webhook-timestamp: expected unix seconds',
    });
  });
});
