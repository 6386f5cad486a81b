import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { defaultOrganizationClaim, defaultPermissionsClaim } from './config.js';

/** A key pair that signs tokens where no identity provider runs: the local stack and tests. */
export interface LocalSigningKey {
  privateJwk: JWK;
  /** What verifiers are given (a jwksFile's content). */
  publicJwks: { keys: JWK[] };
  kid: string;
}

const algorithm = 'ES256';

/** A new ES256 key pair; its kid is the public key's JWK thumbprint. */
export async function generateSigningKey(): Promise<LocalSigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(algorithm, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const tag = { kid, alg: algorithm, use: 'sig' };
  return { privateJwk: { ...(await exportJWK(privateKey)), ...tag }, publicJwks: { keys: [{ ...publicJwk, ...tag }] }, kid };
}

export interface IssueTokenOptions {
  key: LocalSigningKey;
  issuer: string;
  audience: string;
  subject: string;
  organizationId?: string;
  /** Written as given, so tests can also issue names BDK does not know. */
  permissions: readonly string[];
  /** From issuedAt; default 3600. */
  expiresInSeconds?: number;
  organizationClaim?: string;
  permissionsClaim?: string;
  notBefore?: Date;
  /** Default now. */
  issuedAt?: Date;
}

export async function issueToken(options: IssueTokenOptions): Promise<string> {
  const claims: Record<string, unknown> = { [options.permissionsClaim ?? defaultPermissionsClaim]: [...options.permissions] };
  if (options.organizationId !== undefined) claims[options.organizationClaim ?? defaultOrganizationClaim] = options.organizationId;
  const issuedAt = Math.floor((options.issuedAt ?? new Date()).getTime() / 1000);
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: algorithm, kid: options.key.kid, typ: 'JWT' })
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setSubject(options.subject)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + (options.expiresInSeconds ?? 3600));
  if (options.notBefore) jwt.setNotBefore(options.notBefore);
  return jwt.sign(await importJWK(options.key.privateJwk, algorithm));
}
