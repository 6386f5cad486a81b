// A token issuer for tests: a signing key whose JWKS is in a temporary file, the AuthConfig that trusts it,
// and tokens from it.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { exportSPKI, importJWK, SignJWT } from 'jose';
import os from 'node:os';
import path from 'node:path';
import type { AuthConfig, IssuerConfig } from '../src/config.js';
import { generateSigningKey, issueToken, type IssueTokenOptions, type LocalSigningKey } from '../src/signing-keys.js';

export const testIssuer = 'https://issuer.test';
export const testAudience = 'bdk-api';

export interface IssuerFixture {
  dir: string;
  key: LocalSigningKey;
  jwksFile: string;
  config(overrides?: Partial<IssuerConfig>, clockToleranceSeconds?: number): AuthConfig;
  /** A token from this issuer for this audience; `options` override any field. */
  token(options?: Partial<IssueTokenOptions>): Promise<string>;
  cleanup(): Promise<void>;
}

export async function createIssuerFixture(): Promise<IssuerFixture> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bdk-auth-'));
  const key = await generateSigningKey();
  const jwksFile = path.join(dir, 'jwks.json');
  await writeFile(jwksFile, JSON.stringify(key.publicJwks));
  return {
    dir,
    key,
    jwksFile,
    config: (overrides = {}, clockToleranceSeconds = 30) => ({
      issuers: [
        { issuer: testIssuer, audiences: [testAudience], jwksFile, organizationClaim: 'org_id', permissionsClaim: 'permissions', ...overrides },
      ],
      clockToleranceSeconds,
    }),
    token: (options = {}) =>
      issueToken({ key, issuer: testIssuer, audience: testAudience, subject: 'alice', organizationId: 'acme', permissions: ['books:read'], ...options }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** An unsigned token (`alg: none`) with the given header fields and claims. */
export function unsignedToken(header: Record<string, unknown>, claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT', ...header })}.${part(claims)}.`;
}

/**
 * The classic algorithm confusion: an HS256 token whose HMAC key is the issuer's public key (PEM), as a
 * verifier that let the token choose the algorithm would check it.
 */
export async function hs256WithPublicKey(issuer: IssuerFixture, claims: Record<string, unknown>): Promise<string> {
  const [publicJwk] = issuer.key.publicJwks.keys;
  if (!publicJwk) throw new Error('the fixture has no public key');
  const publicKey = await importJWK(publicJwk, 'ES256', { extractable: true });
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', kid: issuer.key.kid })
    .setIssuer(testIssuer)
    .setAudience(testAudience)
    .setSubject('alice')
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(await exportSPKI(publicKey as Parameters<typeof exportSPKI>[0])));
}
