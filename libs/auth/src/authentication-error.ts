/** Why a token was refused. */
export type AuthenticationFailure =
  | 'malformed'
  | 'unknown_issuer'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_audience'
  | 'invalid_claims'
  | 'jwks_unavailable';

/**
 * A token that cannot be accepted. `message` is for the server's logs (it never contains the token);
 * callers only ever see `reason`.
 */
export class AuthenticationError extends Error {
  override name = 'AuthenticationError';
  readonly reason: AuthenticationFailure;
  /** The token's `iss` and `sub` when they could be read (unverified: for logs only). */
  issuer?: string;
  subject?: string;

  constructor(reason: AuthenticationFailure, detail: string, options?: { cause?: unknown }) {
    super(`${reason}: ${detail}`, options);
    this.reason = reason;
  }
}
