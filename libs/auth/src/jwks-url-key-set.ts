import { createRemoteJWKSet, errors, type JWTVerifyGetKey } from 'jose';
import { AuthenticationError } from './authentication-error.js';

export interface JwksUrlOptions {
  /** After a fetch, how long a token with an unknown `kid` waits before it may trigger another (jose: 30 s). */
  cooldownMs?: number;
  /** How long fetched keys are used before they are fetched again (jose: 10 min). */
  cacheMaxAgeMs?: number;
  /** How long one fetch may take (jose: 5 s). */
  timeoutMs?: number;
}

/**
 * Keys from an identity provider's JWKS endpoint, with jose's caching: a token with a `kid` not yet seen
 * triggers a fetch (at most once per cooldown), which is how a key rotation at the provider arrives.
 */
export function jwksUrlKeySet(url: string, options: JwksUrlOptions = {}): JWTVerifyGetKey {
  const keys = createRemoteJWKSet(new URL(url), {
    ...(options.cooldownMs !== undefined ? { cooldownDuration: options.cooldownMs } : {}),
    ...(options.cacheMaxAgeMs !== undefined ? { cacheMaxAge: options.cacheMaxAgeMs } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutDuration: options.timeoutMs } : {}),
  });
  return async (header, token) => {
    try {
      return await keys(header, token);
    } catch (error) {
      // These say the token does not match the keys; anything else is the endpoint failing us.
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys || error instanceof errors.JOSENotSupported) {
        throw error;
      }
      throw new AuthenticationError('jwks_unavailable', `cannot fetch the JWKS from ${url}: ${(error as Error).message}`, { cause: error });
    }
  };
}
