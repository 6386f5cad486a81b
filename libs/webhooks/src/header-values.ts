// Reading header values and the formats the schemes share.
import type { HeaderLookup, UnreadableRequest } from './scheme.js';

/** 32 bytes as 64 hex digits (either case: the value is compared as bytes). */
export const hexDigest = /^[0-9a-f]{64}$/i;
/** 32 bytes as base64: 43 characters and one `=`. */
export const base64Digest = /^[A-Za-z0-9+/]{43}=$/;

/** A header's trimmed value by its documented name; an empty value counts as absent. */
export function readHeader(header: HeaderLookup, name: string): string | undefined {
  const value = header(name.toLowerCase())?.trim();
  return value ? value : undefined;
}

/** Whole unix seconds, as Slack, Stripe and Standard Webhooks send them. Twelve digits reach past year 30000. */
export function parseUnixSeconds(value: string): Date | undefined {
  return /^\d{1,12}$/.test(value) ? new Date(Number(value) * 1000) : undefined;
}

export function unixSeconds(at: Date): string {
  return String(Math.floor(at.getTime() / 1000));
}

/** No signature header at all; `expected` says what a sender of the scheme sends. */
export function missing(expected: string): UnreadableRequest {
  return { reason: 'missing_signature', message: `missing webhook signature: send ${expected}` };
}

export function malformed(header: string, expected: string): UnreadableRequest {
  return { reason: 'malformed_signature', message: `malformed ${header}: expected ${expected}` };
}

/** A scheme's other header (timestamp, id) absent while the signature is there: the signature cannot be checked. */
export function missingHeader(header: string, expected: string): UnreadableRequest {
  return { reason: 'malformed_signature', message: `missing ${header}: expected ${expected}` };
}
