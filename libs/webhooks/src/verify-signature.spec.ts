import { describe, expect, it } from '@jest/globals';
import { headerLookup, senders, type Sender } from './__fixtures__/senders.js';
import { schemeHeaders } from './registry.js';
import { generateSigningSecret } from './secrets.js';
import { signPayload } from './sign-payload.js';
import { verifySignature, type VerifyResult } from './verify-signature.js';

const now = new Date('2026-03-01T12:00:00Z');
const minutes = (n: number) => new Date(now.getTime() + n * 60_000);
const body = Buffer.from('{"ticket":{"id":"12345","subject":"Login issue"},"timestamp":"2026-03-01T11:59:58Z"}');
const secret = generateSigningSecret();
const otherSecret = generateSigningSecret();

function verify(sender: Sender, headers: Record<string, string>, options: { payload?: Uint8Array; secrets?: string[]; toleranceSeconds?: number } = {}) {
  return verifySignature({
    scheme: sender.scheme,
    payload: options.payload ?? body,
    header: headerLookup(headers),
    secrets: options.secrets ?? [secret],
    now,
    ...(options.toleranceSeconds !== undefined && { toleranceSeconds: options.toleranceSeconds }),
  });
}

function failure(result: VerifyResult) {
  if (result.ok) throw new Error(`expected a failure, got ${JSON.stringify(result)}`);
  return result;
}

describe.each(senders)('verifySignature: $scheme', (sender) => {
  const sent = sender.send(secret, body, now);

  it('accepts what the sender sends, saying which secret matched', () => {
    expect(verify(sender, sent)).toEqual({
      ok: true,
      secretIndex: 0,
      ...(sender.timestamped && { timestamp: now }),
      ...(sender.scheme === 'standard-webhooks' && { deliveryId: sent['webhook-id'] }),
    });
  });

  it('refuses a signature made with another secret, without revealing the expected signature or the secret', () => {
    const forged = failure(verify(sender, sender.send(otherSecret, body, now)));
    expect(forged).toEqual({ ok: false, reason: 'signature_mismatch', message: expect.stringContaining(sender.signatureHeader) });
    expect(forged.message).not.toContain(secret);
    for (const value of Object.values(sent)) {
      if (value.length > 20) expect(forged.message).not.toContain(value);
    }
  });

  it('refuses a body with one byte changed', () => {
    const tampered = Buffer.from(body);
    tampered[10] = (tampered[10] ?? 0) ^ 0x01;
    expect(verify(sender, sent, { payload: tampered })).toMatchObject({ ok: false, reason: 'signature_mismatch' });
  });

  it('refuses a request without signature headers, naming the header to send', () => {
    expect(verify(sender, {})).toEqual({ ok: false, reason: 'missing_signature', message: expect.stringContaining(sender.signatureHeader) });
  });

  it('accepts either secret during a rotation and says which one matched', () => {
    const secrets = [otherSecret, secret];
    expect(verify(sender, sender.send(secret, body, now), { secrets })).toMatchObject({ ok: true, secretIndex: 1 });
    expect(verify(sender, sender.send(otherSecret, body, now), { secrets })).toMatchObject({ ok: true, secretIndex: 0 });
    expect(verify(sender, sender.send(generateSigningSecret(), body, now), { secrets })).toMatchObject({ ok: false, reason: 'signature_mismatch' });
  });

  it('fails without candidate secrets exactly as with a wrong one', () => {
    expect(verify(sender, sent, { secrets: [] })).toEqual(verify(sender, sent, { secrets: [otherSecret] }));
  });

  it('verifies what signPayload sends', () => {
    const headers = signPayload({ scheme: sender.scheme, payload: body, secret, timestamp: now });
    expect(verify(sender, headers)).toMatchObject({ ok: true, secretIndex: 0 });
    expect(verify(sender, headers, { secrets: [otherSecret] })).toMatchObject({ ok: false, reason: 'signature_mismatch' });
  });

  it('signs as the sender does', () => {
    const headers = signPayload({ scheme: sender.scheme, payload: body, secret, timestamp: now, id: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W' });
    expect(headers).toEqual(sent);
  });

  it('lists the signature header among the headers it reads', () => {
    expect(schemeHeaders(sender.scheme)).toContain(sender.signatureHeader);
  });
});

describe.each(senders.filter((s) => s.timestamped))('verifySignature: $scheme, the clock', (sender) => {
  it.each([
    ['6 minutes old', -6],
    ['6 minutes in the future', 6],
  ])('refuses a request signed %s', (_, offset) => {
    const result = failure(verify(sender, sender.send(secret, body, minutes(offset))));
    expect(result).toEqual({ ok: false, reason: 'stale_timestamp', message: expect.stringContaining('300 seconds') });
  });

  it('accepts a request 4 minutes old or ahead by default', () => {
    expect(verify(sender, sender.send(secret, body, minutes(-4)))).toMatchObject({ ok: true, timestamp: minutes(-4) });
    expect(verify(sender, sender.send(secret, body, minutes(4)))).toMatchObject({ ok: true });
  });

  it('honours a custom tolerance', () => {
    expect(verify(sender, sender.send(secret, body, minutes(-6)), { toleranceSeconds: 600 })).toMatchObject({ ok: true });
    expect(verify(sender, sender.send(secret, body, minutes(-2)), { toleranceSeconds: 60 })).toEqual({
      ok: false,
      reason: 'stale_timestamp',
      message: expect.stringContaining('60 seconds'),
    });
  });

  it('calls a forged request a mismatch even when its time is also out of range', () => {
    expect(verify(sender, sender.send(otherSecret, body, minutes(-60)))).toMatchObject({ ok: false, reason: 'signature_mismatch' });
  });
});

describe('verifySignature: GitHub signs no time', () => {
  it('accepts a delivery whatever the clock says', () => {
    const github = senders.find((s) => s.scheme === 'github');
    if (!github) throw new Error('no github sender');
    const result = verifySignature({
      scheme: 'github',
      payload: body,
      header: headerLookup(github.send(secret, body, now)),
      secrets: [secret],
      now: new Date('2000-01-01T00:00:00Z'),
      toleranceSeconds: 0,
    });
    expect(result).toEqual({ ok: true, secretIndex: 0 });
  });
});

describe('verifySignature: caller mistakes', () => {
  const base = { scheme: 'slack' as const, payload: body, header: () => undefined, secrets: [secret] };

  it('throws for an invalid tolerance or clock', () => {
    expect(() => verifySignature({ ...base, toleranceSeconds: -1 })).toThrow(RangeError);
    expect(() => verifySignature({ ...base, toleranceSeconds: Number.NaN })).toThrow(RangeError);
    expect(() => verifySignature({ ...base, now: new Date('not a date') })).toThrow(RangeError);
  });

  it('throws for a name that is not a scheme', () => {
    expect(() => verifySignature({ ...base, scheme: 'gitlab' as never })).toThrow('unknown webhook signature scheme "gitlab"');
  });

  it('throws for a secret the scheme cannot use, without showing it', () => {
    expect(() => verifySignature({ ...base, secrets: [secret, ''] })).toThrow(new TypeError('a webhook signing secret is empty'));
    expect(() => verifySignature({ ...base, scheme: 'standard-webhooks', secrets: ['plain-text-secret-value'] })).toThrow(
      new TypeError('a Standard Webhooks signing secret must be whsec_ followed by base64'),
    );
  });
});
