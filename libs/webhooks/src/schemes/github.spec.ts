import { describe, expect, it } from '@jest/globals';
import { headerLookup } from '../__fixtures__/senders.js';
import { signPayload } from '../sign-payload.js';
import { verifySignature } from '../verify-signature.js';

// https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
const documented = {
  secret: "It's a Secret to Everybody",
  payload: Buffer.from('Hello, World!'),
  signature: 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
};

const verify = (headers: Record<string, string>) =>
  verifySignature({ scheme: 'github', payload: documented.payload, header: headerLookup(headers), secrets: [documented.secret] });

describe('github', () => {
  it('accepts the example in GitHub\u2019s documentation', () => {
    expect(verify({ 'x-hub-signature-256': documented.signature })).toEqual({ ok: true, secretIndex: 0 });
  });

  it('signs the example as GitHub does', () => {
    expect(signPayload({ scheme: 'github', payload: documented.payload, secret: documented.secret })).toEqual({
      'x-hub-signature-256': documented.signature,
    });
  });

  it('accepts upper-case hex digits', () => {
    expect(verify({ 'x-hub-signature-256': `sha256=${documented.signature.slice(7).toUpperCase()}` })).toMatchObject({ ok: true });
  });

  it('does not take GitHub\u2019s legacy SHA-1 header as a signature', () => {
    expect(verify({ 'x-hub-signature': 'sha1=2a5b2cb2a5c8ba4d0fb1a18b2a8b4b1b4b2a5b2c' })).toMatchObject({ ok: false, reason: 'missing_signature' });
  });

  it.each([
    ['without the sha256= prefix', documented.signature.slice(7)],
    ['with another algorithm', `sha1=${documented.signature.slice(7, 47)}`],
    ['with a non-hex digit', `sha256=${documented.signature.slice(7, 70)}g`],
    ['one digit short', documented.signature.slice(0, -1)],
  ])('refuses a signature %s as malformed, naming the expected form', (_, value) => {
    expect(verify({ 'x-hub-signature-256': value })).toEqual({
      ok: false,
      reason: 'malformed_signature',
      message: 'malformed X-Hub-Signature-256: expected sha256=<64 hex digits of the HMAC-SHA256 of the body>',
    });
  });
});
