// Webhook signature verification: an HMAC-SHA256 of the exact bytes received, keyed by the source's secret and
// compared in constant time.
//
// A source with no secret (and not accepted unsigned) fails exactly like a wrong signature: same gRPC code, same
// message, and an HMAC is still computed (with a throw-away key) so the timing matches too. Telling the caller
// "no secret configured for source x" would let anyone list which sources exist; the log line carries the real
// reason for the operator.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { WebhookSecrets } from './secret-store.js';

/** A way senders sign: the header it comes in and how its value reads. All are `sha256=<hex>` over the body. */
interface SignatureScheme {
  readonly name: string;
  /** Lower-case header name, as it arrives in gRPC metadata. */
  readonly header: string;
  /** Display form for messages. */
  readonly headerDisplay: string;
}

/** In order of preference when a request carries several. */
export const signatureSchemes: readonly SignatureScheme[] = [
  // GitHub: https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
  { name: 'github', header: 'x-hub-signature-256', headerDisplay: 'X-Hub-Signature-256' },
  // BDK's own header, same format, for senders that let one choose (and for scripts and tests).
  { name: 'bdk', header: 'x-webhook-signature', headerDisplay: 'X-Webhook-Signature' },
];

export type VerificationFailure = 'missing_signature' | 'malformed_signature' | 'unknown_source' | 'signature_mismatch';

export type Verification =
  | { ok: true; scheme: string }
  | { ok: false; reason: VerificationFailure; message: string };

const signatureValue = /^sha256=([0-9a-f]{64})$/i;

// Stands in for the secret of a source that has none, so that failure costs the same as a mismatch.
const decoyKey = randomBytes(32);

/** `sha256=<hex>` of the payload, as a sender computes it. */
export function signPayload(secret: string | Buffer, payload: Uint8Array): string {
  return `sha256=${createHmac('sha256', secret).update(payload).digest('hex')}`;
}

export function verifySignature(options: {
  source: string;
  payload: Uint8Array;
  /** A request header's value by lower-case name. */
  header: (name: string) => string | null | undefined;
  secrets: WebhookSecrets;
}): Verification {
  const { source, payload, header, secrets } = options;
  if (secrets.acceptsUnsigned(source)) return { ok: true, scheme: 'unsigned' };

  const scheme = signatureSchemes.find((s) => header(s.header) != null);
  if (!scheme) {
    const names = signatureSchemes.map((s) => s.headerDisplay).join(' or ');
    return { ok: false, reason: 'missing_signature', message: `missing webhook signature: send ${names} as sha256=<hex HMAC-SHA256 of the body>` };
  }
  const match = signatureValue.exec((header(scheme.header) ?? '').trim());
  if (!match?.[1]) {
    return { ok: false, reason: 'malformed_signature', message: `malformed ${scheme.headerDisplay}: expected sha256=<64 hex digits>` };
  }

  const secret = secrets.secretFor(source);
  const expected = createHmac('sha256', secret ?? decoyKey).update(payload).digest();
  const matches = timingSafeEqual(expected, Buffer.from(match[1], 'hex'));
  if (secret && matches) return { ok: true, scheme: scheme.name };
  return {
    ok: false,
    reason: secret ? 'signature_mismatch' : 'unknown_source',
    message: `webhook signature for source "${source}" could not be verified`,
  };
}
