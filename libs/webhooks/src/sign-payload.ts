// Signing as a sender of a scheme would: for tests, the CLI and docs.
import { randomBytes } from 'node:crypto';
import { schemeDefinition } from './registry.js';
import type { SignatureScheme } from './scheme-names.js';

export interface SignPayloadOptions {
  scheme: SignatureScheme;
  payload: Uint8Array;
  secret: string;
  /** The time signed, for timestamped schemes (whole seconds are sent). Default: new Date(). */
  timestamp?: Date;
  /** The delivery id, for schemes that sign one (Standard Webhooks). Default: `msg_` and 24 random hex digits. */
  id?: string;
}

/** The headers a sender of this scheme would send for `payload`, by lower-case name. Throws a TypeError for a
 *  secret the scheme cannot use. */
export function signPayload(options: SignPayloadOptions): Record<string, string> {
  const { scheme, payload, secret, timestamp = new Date(), id = `msg_${randomBytes(12).toString('hex')}` } = options;
  if (Number.isNaN(timestamp.getTime())) throw new RangeError('timestamp is an invalid date');
  const definition = schemeDefinition(scheme);
  return definition.sign(payload, definition.key(secret), timestamp, id);
}
