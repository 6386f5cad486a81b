// What a scheme module provides: how it reads a request's headers into the bytes its sender signed and the
// signatures sent, how a secret becomes its HMAC key, and how its sender signs. Every scheme here is
// HMAC-SHA256; the verification around them (constant-time matching, rotation, clock tolerance) is shared.

/** A request header's value by lower-case name. */
export type HeaderLookup = (name: string) => string | null | undefined;

/** The part of a request a scheme signs, once its headers are well-formed. */
export interface SignedRequest {
  /** The exact content the sender's HMAC covers, in order: header text (UTF-8) and the body bytes. */
  readonly signedParts: readonly (string | Uint8Array)[];
  /** Every signature the request carries in the scheme's current version, each a 32-byte digest. */
  readonly signatures: readonly Buffer[];
  /** The header the signatures came in, as senders spell it, for messages. */
  readonly signatureHeader: string;
  /** The time the sender signed at and the header it came in, for schemes that sign one. */
  readonly timestamp?: { readonly at: Date; readonly header: string };
  /** The sender's id of the delivery, for schemes that sign one. */
  readonly deliveryId?: string;
}

/** Why a request's headers cannot be checked at all. Messages name the header and the expected form only. */
export interface UnreadableRequest {
  readonly reason: 'missing_signature' | 'malformed_signature';
  readonly message: string;
}

export interface SchemeDefinition {
  /** The header names the scheme reads, as its sender documents them. */
  readonly headers: readonly string[];
  /** The HMAC key for a secret; throws a TypeError for a secret the scheme cannot use. */
  key(secret: string): Buffer;
  read(payload: Uint8Array, header: HeaderLookup): SignedRequest | UnreadableRequest;
  /** The headers a sender sends, by lower-case name (as HTTP/2 and gRPC metadata carry them). */
  sign(payload: Uint8Array, key: Buffer, at: Date, id: string): Record<string, string>;
}
