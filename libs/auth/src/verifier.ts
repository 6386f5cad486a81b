import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { AuthenticationError } from './authentication-error.js';
import { principalFromClaims } from './claims.js';
import type { AuthConfig, IssuerConfig } from './config.js';
import { jwksFileKeySet } from './jwks-file-key-set.js';
import { jwksUrlKeySet, type JwksUrlOptions } from './jwks-url-key-set.js';
import type { Principal } from './principal.js';

export interface TokenVerifier {
  /** The caller a bearer token stands for; AuthenticationError when it cannot be accepted. */
  verify(token: string): Promise<Principal>;
}

export interface TokenVerifierOptions {
  /** Caching of keys fetched from a jwksUrl. */
  jwksUrl?: JwksUrlOptions;
}

/**
 * Asymmetric algorithms only: with a symmetric one (HS*) anyone holding the published key could mint tokens, and
 * `none` is no signature at all.
 */
export const acceptedAlgorithms = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

interface TrustedIssuer {
  config: IssuerConfig;
  keys: JWTVerifyGetKey;
}

export function createTokenVerifier(config: AuthConfig, options: TokenVerifierOptions = {}): TokenVerifier {
  const issuers = new Map<string, TrustedIssuer>(
    config.issuers.map((issuer) => [
      issuer.issuer,
      {
        config: issuer,
        keys: issuer.jwksFile !== undefined ? jwksFileKeySet(issuer.jwksFile) : jwksUrlKeySet(issuer.jwksUrl ?? '', options.jwksUrl),
      },
    ]),
  );
  const tolerance = config.clockToleranceSeconds;

  return {
    async verify(token) {
      const unverified = peek(token);
      try {
        return await verifyWith(token, issuers.get(unverified.iss), tolerance);
      } catch (error) {
        if (error instanceof AuthenticationError) {
          error.issuer = unverified.iss.slice(0, maxLoggedLength);
          if (typeof unverified.sub === 'string') error.subject = unverified.sub.slice(0, maxLoggedLength);
        }
        throw error;
      }
    },
  };
}

// Claims of a refused token are the caller's words, logged only in part.
const maxLoggedLength = 200;

async function verifyWith(token: string, issuer: TrustedIssuer | undefined, tolerance: number): Promise<Principal> {
  if (!issuer) throw new AuthenticationError('unknown_issuer', 'no configured issuer matches the token\'s "iss"');
  let claims: JWTPayload;
  try {
    ({ payload: claims } = await jwtVerify(token, issuer.keys, {
      issuer: issuer.config.issuer,
      ...(issuer.config.audiences.length > 0 ? { audience: issuer.config.audiences } : {}),
      algorithms: acceptedAlgorithms,
      clockTolerance: tolerance,
      requiredClaims: ['exp', 'sub'],
    }));
  } catch (error) {
    throw asAuthenticationError(error);
  }
  // jose checks `iat` only against a maximum token age; a token issued in the future is not valid yet.
  if (claims.iat !== undefined && claims.iat > Date.now() / 1000 + tolerance) {
    throw new AuthenticationError('not_yet_valid', '"iat" is in the future');
  }
  return principalFromClaims(claims, issuer.config);
}

/**
 * The token's `iss` (and `sub`, for logs), read before verification only to choose whose keys verify it. The algorithm is checked
 * here too, so that no key is looked up (or fetched) for a token that could never be accepted.
 */
function peek(token: string): { iss: string; sub: unknown } {
  if (token.split('.').length !== 3) throw new AuthenticationError('malformed', 'not a compact JWS (three dot-separated parts)');
  let alg: unknown;
  let claims: JWTPayload;
  try {
    alg = decodeProtectedHeader(token).alg;
    claims = decodeJwt(token);
  } catch (error) {
    throw new AuthenticationError('malformed', (error as Error).message, { cause: error });
  }
  if (typeof alg !== 'string' || !acceptedAlgorithms.includes(alg)) {
    throw new AuthenticationError('bad_signature', `algorithm ${String(JSON.stringify(alg)).slice(0, 20)} is not accepted`);
  }
  if (typeof claims.iss !== 'string') throw new AuthenticationError('unknown_issuer', 'the token has no "iss"');
  return { iss: claims.iss, sub: claims.sub };
}

function asAuthenticationError(error: unknown): unknown {
  if (error instanceof AuthenticationError) return error;
  if (error instanceof errors.JWTExpired) return new AuthenticationError('expired', error.message);
  if (error instanceof errors.JWTClaimValidationFailed) {
    const reason = error.claim === 'nbf' ? 'not_yet_valid' : error.claim === 'aud' ? 'wrong_audience' : error.claim === 'iss' ? 'unknown_issuer' : 'invalid_claims';
    return new AuthenticationError(reason, error.message);
  }
  if (
    error instanceof errors.JWSSignatureVerificationFailed ||
    error instanceof errors.JWKSNoMatchingKey ||
    error instanceof errors.JWKSMultipleMatchingKeys ||
    error instanceof errors.JOSEAlgNotAllowed
  ) {
    return new AuthenticationError('bad_signature', error.message);
  }
  if (error instanceof errors.JOSEError) return new AuthenticationError('malformed', error.message);
  // Anything else is a fault in the server, not in the token.
  return error;
}
