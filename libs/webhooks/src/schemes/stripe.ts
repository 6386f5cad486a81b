// Stripe: `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>...][,v0=<hex>]`, each v1 the HMAC-SHA256 of
// t + "." + body keyed with the whole secret's text (`whsec_` included). Stripe sends several v1 while it rotates
// an endpoint's secret, so any one matching passes; v0 and unknown elements are ignored.
// https://docs.stripe.com/webhooks#verify-manually
import { hexDigest, malformed, missing, parseUnixSeconds, readHeader, unixSeconds } from '../header-values.js';
import { hmacSha256 } from '../hmac.js';
import type { SchemeDefinition } from '../scheme.js';
import { secretTextKey } from '../secrets.js';

const signatureHeader = 'Stripe-Signature';
const expected = 't=<unix seconds>,v1=<64 hex digits of the HMAC-SHA256 of "<t>.<body>">';

function readElements(value: string): { timestamps: string[]; v1: string[] } {
  const timestamps: string[] = [];
  const v1: string[] = [];
  for (const element of value.split(',')) {
    const separator = element.indexOf('=');
    if (separator < 0) continue;
    const name = element.slice(0, separator).trim();
    const elementValue = element.slice(separator + 1).trim();
    if (name === 't') timestamps.push(elementValue);
    if (name === 'v1') v1.push(elementValue);
  }
  return { timestamps, v1 };
}

export const stripe: SchemeDefinition = {
  headers: [signatureHeader],
  key: secretTextKey,
  read(payload, header) {
    const value = readHeader(header, signatureHeader);
    if (value === undefined) return missing(`${signatureHeader}: ${expected}`);
    const { timestamps, v1 } = readElements(value);
    const timestamp = timestamps.length === 1 ? timestamps[0] : undefined;
    const at = timestamp === undefined ? undefined : parseUnixSeconds(timestamp);
    if (!at || timestamp === undefined || v1.length === 0 || !v1.every((s) => hexDigest.test(s))) {
      return malformed(signatureHeader, expected);
    }
    return {
      signedParts: [`${timestamp}.`, payload],
      signatures: v1.map((s) => Buffer.from(s, 'hex')),
      signatureHeader,
      timestamp: { at, header: signatureHeader },
    };
  },
  sign(payload, key, at) {
    const timestamp = unixSeconds(at);
    return { [signatureHeader.toLowerCase()]: `t=${timestamp},v1=${hmacSha256(key, [`${timestamp}.`, payload]).toString('hex')}` };
  },
};
