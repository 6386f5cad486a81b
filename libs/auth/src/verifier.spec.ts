import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { importJWK, SignJWT } from 'jose';
import { createIssuerFixture, hs256WithPublicKey, testAudience, testIssuer, unsignedToken, type IssuerFixture } from '../test/issuer-fixture.js';
import { AuthenticationError } from './authentication-error.js';
import { generateSigningKey } from './signing-keys.js';
import { createTokenVerifier } from './verifier.js';

let issuer: IssuerFixture;

beforeAll(async () => {
  issuer = await createIssuerFixture();
});
afterAll(async () => {
  await issuer.cleanup();
});

async function reasonOf(token: string, verifier = createTokenVerifier(issuer.config())): Promise<string> {
  const error = await verifier.verify(token).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof AuthenticationError)) throw new Error(`expected an AuthenticationError, got ${String(error)}`);
  return error.reason;
}

const hour = 3600_000;
const secondsAgo = (s: number) => new Date(Date.now() - s * 1000);

describe('createTokenVerifier', () => {
  it('accepts a good token and returns its principal', async () => {
    const principal = await createTokenVerifier(issuer.config()).verify(await issuer.token({ permissions: ['books:read', 'deliveries:replay', 'other'] }));
    expect(principal).toMatchObject({ subject: 'alice', issuer: testIssuer, organizationId: 'acme', permissions: new Set(['books:read', 'deliveries:replay']) });
  });

  it('chooses the issuer by iss among several, with that issuer\'s claim names', async () => {
    const other = await createIssuerFixture();
    try {
      const config = issuer.config();
      config.issuers.push(...other.config({ issuer: 'https://other.test', organizationClaim: 'tenant', permissionsClaim: 'scope' }).issuers);
      const verifier = createTokenVerifier(config);
      const token = await other.token({ issuer: 'https://other.test', organizationId: 'globex', organizationClaim: 'tenant', permissionsClaim: 'scope' });
      expect(await verifier.verify(token)).toMatchObject({ issuer: 'https://other.test', organizationId: 'globex', permissions: new Set(['books:read']) });
      // Each issuer's tokens verify only with its own keys.
      expect(await reasonOf(await other.token(), verifier)).toBe('bad_signature');
    } finally {
      await other.cleanup();
    }
  });

  it.each<[string, () => Promise<string>, string]>([
    ['an expired token', () => issuer.token({ issuedAt: secondsAgo(7200), expiresInSeconds: 3600 }), 'expired'],
    ['a token expired beyond the tolerance', () => issuer.token({ issuedAt: secondsAgo(100), expiresInSeconds: 60 }), 'expired'],
    ['a token not valid before an hour from now', () => issuer.token({ notBefore: new Date(Date.now() + hour) }), 'not_yet_valid'],
    ['a token issued in an hour', () => issuer.token({ issuedAt: new Date(Date.now() + hour) }), 'not_yet_valid'],
    ['another audience', () => issuer.token({ audience: 'someone-else' }), 'wrong_audience'],
    ['an unknown issuer', () => issuer.token({ issuer: 'https://evil.test' }), 'unknown_issuer'],
    ['a token signed by another key with the same kid', async () => issuer.token({ key: { ...(await generateSigningKey()), kid: issuer.key.kid } }), 'bad_signature'],
    ['a token signed by a key the issuer never published', async () => issuer.token({ key: await generateSigningKey() }), 'bad_signature'],
    ['alg none', async () => unsignedToken({ kid: issuer.key.kid }, { iss: testIssuer, aud: testAudience, sub: 'alice', exp: Date.now() / 1000 + 3600, permissions: ['books:publish'] }), 'bad_signature'],
    ['HS256 signed with the public key', () => hs256WithPublicKey(issuer, { org_id: 'acme', permissions: ['books:publish'] }), 'bad_signature'],
    ['a token without sub', () => issuer.token({ subject: '' }), 'invalid_claims'],
    ['an organisation that is no label value', () => issuer.token({ organizationId: 'acme/../kube-system' }), 'invalid_claims'],
    ['a token with a tampered payload', tampered, 'bad_signature'],
    ['no JWT at all', async () => 'not-a-jwt', 'malformed'],
    ['garbage in three parts', async () => 'a.b.c', 'malformed'],
  ])('refuses %s', async (_case, token, reason) => {
    expect(await reasonOf(await token())).toBe(reason);
  });

  it('refuses a token without exp', async () => {
    const token = await new SignJWT({ permissions: [] })
      .setProtectedHeader({ alg: 'ES256', kid: issuer.key.kid })
      .setIssuer(testIssuer)
      .setAudience(testAudience)
      .setSubject('alice')
      .sign(await importJWK(issuer.key.privateJwk, 'ES256'));
    expect(await reasonOf(token)).toBe('invalid_claims');
  });

  it('honours the clock tolerance for exp, nbf and iat', async () => {
    const lenient = createTokenVerifier(issuer.config({}, 30));
    const strict = createTokenVerifier(issuer.config({}, 0));
    const justExpired = await issuer.token({ issuedAt: secondsAgo(70), expiresInSeconds: 60 });
    const soonValid = await issuer.token({ notBefore: new Date(Date.now() + 10_000) });
    const issuedSoon = await issuer.token({ issuedAt: new Date(Date.now() + 10_000) });
    for (const token of [justExpired, soonValid, issuedSoon]) await expect(lenient.verify(token)).resolves.toMatchObject({ subject: 'alice' });
    expect(await reasonOf(justExpired, strict)).toBe('expired');
    expect(await reasonOf(soonValid, strict)).toBe('not_yet_valid');
    expect(await reasonOf(issuedSoon, strict)).toBe('not_yet_valid');
  });

  it('accepts any audience when the issuer lists none', async () => {
    await expect(createTokenVerifier(issuer.config({ audiences: [] })).verify(await issuer.token({ audience: 'anything' }))).resolves.toMatchObject({ subject: 'alice' });
  });

  it('accepts every listed audience', async () => {
    const verifier = createTokenVerifier(issuer.config({ audiences: ['one', 'two'] }));
    await expect(verifier.verify(await issuer.token({ audience: 'two' }))).resolves.toMatchObject({ subject: 'alice' });
    expect(await reasonOf(await issuer.token({ audience: testAudience }), verifier)).toBe('wrong_audience');
  });

  it('names the unverified iss and sub of a refused token for the logs, never the token', async () => {
    const token = await issuer.token({ issuer: 'https://evil.test', subject: 'mallory' });
    const error = (await createTokenVerifier(issuer.config()).verify(token).catch((e: unknown) => e)) as AuthenticationError;
    expect(error).toMatchObject({ reason: 'unknown_issuer', issuer: 'https://evil.test', subject: 'mallory' });
    expect(error.message).not.toContain(token.split('.')[2]);
  });

  it('reports a missing JWKS file as jwks_unavailable', async () => {
    expect(await reasonOf(await issuer.token(), createTokenVerifier(issuer.config({ jwksFile: `${issuer.dir}/absent.json` })))).toBe('jwks_unavailable');
  });
});

/** A good token whose payload was swapped for one granting more. */
async function tampered(): Promise<string> {
  const [header, , signature] = (await issuer.token()).split('.');
  const payload = Buffer.from(
    JSON.stringify({ iss: testIssuer, aud: testAudience, sub: 'alice', org_id: 'acme', permissions: ['books:publish'], exp: Date.now() / 1000 + 3600 }),
  ).toString('base64url');
  return `${header}.${payload}.${signature}`;
}
