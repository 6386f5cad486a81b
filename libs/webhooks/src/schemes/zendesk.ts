// Zendesk: `X-Zendesk-Webhook-Signature` = base64 HMAC-SHA256 of the timestamp header's text followed by the
// body, keyed with the secret's text; `X-Zendesk-Webhook-Signature-Timestamp` is ISO 8601 (2021-07-25T10:00:00Z).
// https://developer.zendesk.com/documentation/webhooks/verifying/
import { base64Digest, malformed, missing, missingHeader, readHeader } from '../header-values.js';
import { hmacSha256 } from '../hmac.js';
import type { SchemeDefinition } from '../scheme.js';
import { secretTextKey } from '../secrets.js';

const signatureHeader = 'X-Zendesk-Webhook-Signature';
const timestampHeader = 'X-Zendesk-Webhook-Signature-Timestamp';
const expectedSignature = '<base64 HMAC-SHA256 of the timestamp followed by the body>';
const expectedTimestamp = 'an ISO 8601 time such as 2021-07-25T10:00:00Z';
const isoTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

function parseIsoTime(value: string): Date | undefined {
  const ms = isoTime.test(value) ? Date.parse(value) : Number.NaN;
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

export const zendesk: SchemeDefinition = {
  headers: [signatureHeader, timestampHeader],
  key: secretTextKey,
  read(payload, header) {
    const signature = readHeader(header, signatureHeader);
    const timestamp = readHeader(header, timestampHeader);
    if (signature === undefined) return missing(`${signatureHeader}: ${expectedSignature} and ${timestampHeader}`);
    if (timestamp === undefined) return missingHeader(timestampHeader, expectedTimestamp);
    if (!base64Digest.test(signature)) return malformed(signatureHeader, expectedSignature);
    const at = parseIsoTime(timestamp);
    if (!at) return malformed(timestampHeader, expectedTimestamp);
    return {
      signedParts: [timestamp, payload],
      signatures: [Buffer.from(signature, 'base64')],
      signatureHeader,
      timestamp: { at, header: timestampHeader },
    };
  },
  sign(payload, key, at) {
    // Zendesk's own form: whole seconds, UTC, no fraction.
    const timestamp = `${at.toISOString().slice(0, 19)}Z`;
    return {
      [signatureHeader.toLowerCase()]: hmacSha256(key, [timestamp, payload]).toString('base64'),
      [timestampHeader.toLowerCase()]: timestamp,
    };
  },
};
