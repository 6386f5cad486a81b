// Slack: `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:" + timestamp + ":" + body>`, keyed with the signing
// secret's text; `X-Slack-Request-Timestamp` in unix seconds.
// https://api.slack.com/authentication/verifying-requests-from-slack
import { hexDigest, malformed, missing, missingHeader, parseUnixSeconds, readHeader, unixSeconds } from '../header-values.js';
import { hmacSha256 } from '../hmac.js';
import type { SchemeDefinition } from '../scheme.js';
import { secretTextKey } from '../secrets.js';

const signatureHeader = 'X-Slack-Signature';
const timestampHeader = 'X-Slack-Request-Timestamp';
const prefix = 'v0=';
const expectedSignature = 'v0=<64 hex digits of the HMAC-SHA256 of "v0:<timestamp>:<body>">';
const expectedTimestamp = 'unix seconds';

export const slack: SchemeDefinition = {
  headers: [signatureHeader, timestampHeader],
  key: secretTextKey,
  read(payload, header) {
    const signature = readHeader(header, signatureHeader);
    const timestamp = readHeader(header, timestampHeader);
    if (signature === undefined) return missing(`${signatureHeader}: ${expectedSignature} and ${timestampHeader}`);
    if (timestamp === undefined) return missingHeader(timestampHeader, expectedTimestamp);
    const hex = signature.slice(prefix.length);
    if (!signature.startsWith(prefix) || !hexDigest.test(hex)) return malformed(signatureHeader, expectedSignature);
    const at = parseUnixSeconds(timestamp);
    if (!at) return malformed(timestampHeader, expectedTimestamp);
    return {
      signedParts: [`v0:${timestamp}:`, payload],
      signatures: [Buffer.from(hex, 'hex')],
      signatureHeader,
      timestamp: { at, header: timestampHeader },
    };
  },
  sign(payload, key, at) {
    const timestamp = unixSeconds(at);
    return {
      [signatureHeader.toLowerCase()]: `${prefix}${hmacSha256(key, [`v0:${timestamp}:`, payload]).toString('hex')}`,
      [timestampHeader.toLowerCase()]: timestamp,
    };
  },
};
