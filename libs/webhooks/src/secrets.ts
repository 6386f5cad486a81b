// Signing secrets: the one form BDK hands out, and how each kind of scheme turns a secret into its HMAC key.
// Errors name the rule broken and never the secret.
import { randomBytes } from 'node:crypto';

const standardWebhooksPrefix = 'whsec_';
const canonicalBase64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
// The Standard Webhooks specification's bounds for a symmetric secret.
const minKeyBytes = 24;
const maxKeyBytes = 64;

/** A new signing secret as shown to the user once: `whsec_` + base64 of 32 random bytes (the Standard Webhooks
 *  format; Stripe's secrets look the same). */
export function generateSigningSecret(): string {
  return `${standardWebhooksPrefix}${randomBytes(32).toString('base64')}`;
}

/** The key of senders that use the secret's text as typed into them (GitHub, Zendesk, Slack, Stripe): its UTF-8
 *  bytes, `whsec_` included. */
export function secretTextKey(secret: string): Buffer {
  // An empty key would make every signature computable by anyone.
  if (secret.length === 0) throw new TypeError('a webhook signing secret is empty');
  return Buffer.from(secret, 'utf8');
}

/** The key of a Standard Webhooks secret: the bytes that the base64 after `whsec_` encodes. */
export function standardWebhooksKey(secret: string): Buffer {
  const encoded = secret.startsWith(standardWebhooksPrefix) ? secret.slice(standardWebhooksPrefix.length) : undefined;
  if (!encoded || !canonicalBase64.test(encoded)) {
    throw new TypeError('a Standard Webhooks signing secret must be whsec_ followed by base64');
  }
  const key = Buffer.from(encoded, 'base64');
  if (key.length < minKeyBytes || key.length > maxKeyBytes) {
    throw new TypeError(`a Standard Webhooks signing secret must encode ${minKeyBytes} to ${maxKeyBytes} bytes`);
  }
  return key;
}
