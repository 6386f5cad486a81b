// Standard Webhooks: `webhook-id`, `webhook-timestamp` (unix seconds) and `webhook-signature`, a space-separated
// list of `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, keyed with the bytes the secret's base64 after
// `whsec_` encodes. Senders list several signatures while they rotate secrets; any v1 matching passes, and other
// versions (v1a: asymmetric) are ignored.
// https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
import { base64Digest, malformed, missing, missingHeader, parseUnixSeconds, readHeader, unixSeconds } from '../header-values.js';
import { hmacSha256 } from '../hmac.js';
import type { SchemeDefinition } from '../scheme.js';
import { standardWebhooksKey } from '../secrets.js';

const idHeader = 'webhook-id';
const timestampHeader = 'webhook-timestamp';
const signatureHeader = 'webhook-signature';
const expectedSignature = 'v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">, several separated by spaces';
const expectedTimestamp = 'unix seconds';

export const standardWebhooks: SchemeDefinition = {
  headers: [idHeader, timestampHeader, signatureHeader],
  key: standardWebhooksKey,
  read(payload, header) {
    const signature = readHeader(header, signatureHeader);
    const id = readHeader(header, idHeader);
    const timestamp = readHeader(header, timestampHeader);
    if (signature === undefined) return missing(`${signatureHeader}: ${expectedSignature}, with ${idHeader} and ${timestampHeader}`);
    if (id === undefined) return missingHeader(idHeader, 'the id of the delivery');
    if (timestamp === undefined) return missingHeader(timestampHeader, expectedTimestamp);
    const v1 = signature
      .split(' ')
      .filter((entry) => entry.startsWith('v1,'))
      .map((entry) => entry.slice('v1,'.length));
    if (v1.length === 0 || !v1.every((s) => base64Digest.test(s))) return malformed(signatureHeader, expectedSignature);
    const at = parseUnixSeconds(timestamp);
    if (!at) return malformed(timestampHeader, expectedTimestamp);
    return {
      signedParts: [`${id}.${timestamp}.`, payload],
      signatures: v1.map((s) => Buffer.from(s, 'base64')),
      signatureHeader,
      timestamp: { at, header: timestampHeader },
      deliveryId: id,
    };
  },
  sign(payload, key, at, id) {
    const timestamp = unixSeconds(at);
    return {
      [idHeader]: id,
      [timestampHeader]: timestamp,
      [signatureHeader]: `v1,${hmacSha256(key, [`${id}.${timestamp}.`, payload]).toString('base64')}`,
    };
  },
};
