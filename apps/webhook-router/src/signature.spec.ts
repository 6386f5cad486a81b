import { describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { readWebhookSecrets } from './secret-store.js';
import { signPayload, verifySignature } from './signature.js';

// The secret and payload of GitHub's worked example.
const githubSecret = "It's a Secret to Everybody";
const secrets = readWebhookSecrets({ BDK_WEBHOOK_SECRET_GITHUB: githubSecret, BDK_WEBHOOK_UNSIGNED_SOURCES: 'zendesk' });
const payload = Buffer.from('Hello, World!');

function verify(source: string, headers: Record<string, string>, body: Uint8Array = payload) {
  return verifySignature({ source, payload: body, header: (name) => headers[name], secrets });
}

describe('signPayload', () => {
  it('matches the example in GitHub\u2019s documentation', () => {
    // https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
    expect(signPayload(githubSecret, payload)).toBe(
      'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
    );
  });
});

describe('verifySignature', () => {
  const valid = signPayload(githubSecret, payload);

  it('accepts a valid X-Hub-Signature-256', () => {
    expect(verify('github', { 'x-hub-signature-256': valid })).toEqual({ ok: true, scheme: 'github' });
  });

  it('accepts upper-case hex and the X-Webhook-Signature header', () => {
    expect(verify('github', { 'x-hub-signature-256': valid.toUpperCase().replace('SHA256', 'sha256') })).toMatchObject({ ok: true });
    expect(verify('github', { 'x-webhook-signature': valid })).toEqual({ ok: true, scheme: 'bdk' });
  });

  it('rejects a signature made with another secret', () => {
    const wrong = `sha256=${createHmac('sha256', 'not the secret').update(payload).digest('hex')}`;
    expect(verify('github', { 'x-hub-signature-256': wrong })).toMatchObject({ ok: false, reason: 'signature_mismatch' });
  });

  it('rejects a payload with one byte changed', () => {
    const tampered = Buffer.from(payload);
    tampered[0] = (tampered[0] ?? 0) ^ 1;
    expect(verify('github', { 'x-hub-signature-256': valid }, tampered)).toMatchObject({ ok: false, reason: 'signature_mismatch' });
  });

  it('rejects a request without a signature header, naming the headers', () => {
    expect(verify('github', {})).toMatchObject({
      ok: false,
      reason: 'missing_signature',
      message: expect.stringContaining('X-Hub-Signature-256') as unknown,
    });
    // GitHub's legacy SHA-1 header alone is not enough.
    expect(verify('github', { 'x-hub-signature': 'sha1=0123' })).toMatchObject({ ok: false, reason: 'missing_signature' });
  });

  it.each(['757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17', 'sha1=757107ea', 'sha256=zz', `sha256=${'0'.repeat(63)}`, ''])(
    'rejects the malformed header "%s"',
    (value) => {
      expect(verify('github', { 'x-hub-signature-256': value })).toMatchObject({
        ok: false,
        reason: 'malformed_signature',
        message: 'malformed X-Hub-Signature-256: expected sha256=<64 hex digits>',
      });
    },
  );

  it('accepts a source configured as unsigned, with or without a header', () => {
    expect(verify('zendesk', {})).toEqual({ ok: true, scheme: 'unsigned' });
    expect(verify('zendesk', { 'x-hub-signature-256': 'garbage' })).toEqual({ ok: true, scheme: 'unsigned' });
  });

  it('fails a source without a secret exactly like a wrong signature, so callers cannot tell sources apart', () => {
    const signedForStripe = signPayload('whatever', payload);
    const unknown = verify('stripe', { 'x-hub-signature-256': signedForStripe });
    const wrong = verify('github', { 'x-hub-signature-256': signedForStripe });
    expect(unknown).toMatchObject({ ok: false, reason: 'unknown_source' });
    expect(wrong).toMatchObject({ ok: false, reason: 'signature_mismatch' });
    if (unknown.ok || wrong.ok) throw new Error('unreachable');
    expect(unknown.message.replace('stripe', 'github')).toBe(wrong.message);
  });
});
