// Verifying a webhook request against the candidate secrets of the instances it may be for.
//
// The signature is checked before the clock: `stale_timestamp` then means an authentic request that is too old
// or too new (a replay, or a skewed clock), never a forgery that merely carries an old time. With no candidate
// secret the request fails as `signature_mismatch` with the same message and the same work as a wrong
// signature, so answers do not tell which sources or instances have secrets.
import { matchingKeyIndex } from './hmac.js';
import { schemeDefinition } from './registry.js';
import type { HeaderLookup } from './scheme.js';
import type { SignatureScheme } from './scheme-names.js';

const defaultToleranceSeconds = 300;

export interface VerifyOptions {
  scheme: SignatureScheme;
  /** The exact bytes received. */
  payload: Uint8Array;
  /** A request header's value by lower-case name. */
  header: HeaderLookup;
  /** Candidate secrets, as generateSigningSecret returns them (during a rotation, old and new). */
  secrets: readonly string[];
  /** Default: new Date(). */
  now?: Date;
  /** Default 300: timestamped schemes refuse requests signed longer ago, or further ahead, than this. */
  toleranceSeconds?: number;
}

export type VerifyResult =
  | {
      ok: true;
      /** Which of the candidate secrets the signature was made with. */
      secretIndex: number;
      /** The signed time, for timestamped schemes. */
      timestamp?: Date;
      /** The sender's signed delivery id (Standard Webhooks' webhook-id). */
      deliveryId?: string;
    }
  | { ok: false; reason: 'missing_signature' | 'malformed_signature' | 'stale_timestamp' | 'signature_mismatch'; message: string };

/** Throws a TypeError or RangeError for a caller's mistake: an unknown scheme, a secret the scheme cannot use, an
 *  invalid `now` or tolerance. Anything about the request itself is a result. */
export function verifySignature(options: VerifyOptions): VerifyResult {
  const { scheme, payload, header, secrets, now = new Date(), toleranceSeconds = defaultToleranceSeconds } = options;
  if (!Number.isFinite(toleranceSeconds) || toleranceSeconds < 0) throw new RangeError('toleranceSeconds must be a finite number, 0 or more');
  if (Number.isNaN(now.getTime())) throw new RangeError('now is an invalid date');
  const definition = schemeDefinition(scheme);
  const keys = secrets.map((secret) => definition.key(secret));

  const request = definition.read(payload, header);
  if ('reason' in request) return { ok: false, reason: request.reason, message: request.message };

  const secretIndex = matchingKeyIndex(keys, request.signedParts, request.signatures);
  if (secretIndex < 0) {
    return { ok: false, reason: 'signature_mismatch', message: `the webhook signature in ${request.signatureHeader} could not be verified` };
  }
  const { timestamp, deliveryId } = request;
  if (timestamp && Math.abs(now.getTime() - timestamp.at.getTime()) > toleranceSeconds * 1000) {
    return {
      ok: false,
      reason: 'stale_timestamp',
      message: `the timestamp in ${timestamp.header} is more than ${toleranceSeconds} seconds away from the receiver's clock`,
    };
  }
  return {
    ok: true,
    secretIndex,
    ...(timestamp && { timestamp: timestamp.at }),
    ...(deliveryId !== undefined && { deliveryId }),
  };
}
