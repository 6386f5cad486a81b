// HMAC-SHA256 and the constant-time search for the secret that produced one of a request's signatures.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

// Stands in when there is no candidate secret, so that case costs what a wrong signature costs and a caller's
// timing does not tell whether a source has secrets at all.
const decoyKey = randomBytes(32);

export function hmacSha256(key: Buffer, parts: readonly (string | Uint8Array)[]): Buffer {
  const hmac = createHmac('sha256', key);
  for (const part of parts) hmac.update(part);
  return hmac.digest();
}

/** The index of the first key whose HMAC of the signed parts equals one of the signatures, or -1. Every
 *  signature is compared in full for each key tried; lengths are public (the schemes fix them), so a length
 *  mismatch is decided without comparing bytes. */
export function matchingKeyIndex(keys: readonly Buffer[], signedParts: readonly (string | Uint8Array)[], signatures: readonly Buffer[]): number {
  const candidates = keys.length > 0 ? keys : [decoyKey];
  for (const [index, key] of candidates.entries()) {
    const expected = hmacSha256(key, signedParts);
    let matched = false;
    for (const signature of signatures) {
      if (signature.length === expected.length && timingSafeEqual(signature, expected)) matched = true;
    }
    if (matched && keys.length > 0) return index;
  }
  return -1;
}
