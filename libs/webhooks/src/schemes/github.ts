// GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`, keyed with the secret's text.
// https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
// Nothing time-bound is signed (X-GitHub-Delivery is not covered), so the scheme has no clock tolerance.
import { hexDigest, malformed, missing, readHeader } from '../header-values.js';
import { hmacSha256 } from '../hmac.js';
import type { SchemeDefinition } from '../scheme.js';
import { secretTextKey } from '../secrets.js';

const signatureHeader = 'X-Hub-Signature-256';
const prefix = 'sha256=';
const expected = 'sha256=<64 hex digits of the HMAC-SHA256 of the body>';

export const github: SchemeDefinition = {
  headers: [signatureHeader],
  key: secretTextKey,
  read(payload, header) {
    const value = readHeader(header, signatureHeader);
    if (value === undefined) return missing(`${signatureHeader}: ${expected}`);
    const hex = value.slice(prefix.length);
    if (!value.startsWith(prefix) || !hexDigest.test(hex)) return malformed(signatureHeader, expected);
    return { signedParts: [payload], signatures: [Buffer.from(hex, 'hex')], signatureHeader };
  },
  sign(payload, key) {
    return { [signatureHeader.toLowerCase()]: `${prefix}${hmacSha256(key, [payload]).toString('hex')}` };
  },
};
