import { describe, expect, it } from '@jest/globals';
import { generateSigningSecret, secretTextKey, standardWebhooksKey } from './secrets.js';

describe('generateSigningSecret', () => {
  it('is whsec_ and the base64 of 32 bytes', () => {
    const secret = generateSigningSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice('whsec_'.length), 'base64')).toHaveLength(32);
  });

  it('is new every time', () => {
    const secrets = new Set(Array.from({ length: 50 }, generateSigningSecret));
    expect(secrets.size).toBe(50);
  });
});

describe('secretTextKey', () => {
  it('is the UTF-8 bytes of the whole secret, prefix included', () => {
    expect(secretTextKey('whsec_abc\u00e9')).toEqual(Buffer.from('whsec_abc\u00e9', 'utf8'));
  });

  it('refuses an empty secret, with which anyone could sign', () => {
    expect(() => secretTextKey('')).toThrow('a webhook signing secret is empty');
  });
});

describe('standardWebhooksKey', () => {
  it('is the bytes the base64 after whsec_ encodes', () => {
    const secret = generateSigningSecret();
    expect(standardWebhooksKey(secret)).toEqual(Buffer.from(secret.slice(6), 'base64'));
  });

  it.each([
    ['without the whsec_ prefix', 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
    ['with characters outside base64', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLa-w'],
    ['with broken padding', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS'],
    ['empty after the prefix', 'whsec_'],
  ])('refuses a secret %s, without repeating it', (_, secret) => {
    expect(() => standardWebhooksKey(secret)).toThrow(new TypeError('a Standard Webhooks signing secret must be whsec_ followed by base64'));
  });

  it.each([
    ['shorter than 24 bytes', 16],
    ['longer than 64 bytes', 65],
  ])('refuses a key %s, outside the specification\u2019s bounds', (_, bytes) => {
    expect(() => standardWebhooksKey(`whsec_${Buffer.alloc(bytes, 7).toString('base64')}`)).toThrow(
      'a Standard Webhooks signing secret must encode 24 to 64 bytes',
    );
  });
});
