import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readLocalSigningKey, writeLocalSigningKey } from './local-signing-key.js';
import { issueToken } from './signing-keys.js';
import { createTokenVerifier } from './verifier.js';

let root: string;
let dir: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'bdk-auth-local-'));
  dir = path.join(root, 'auth');
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const identity = { issuer: 'http://127.0.0.1:8080/local', audience: 'bdk-local' };

describe('writeLocalSigningKey', () => {
  it('creates the key (owner-only) and its JWKS, and tokens it signs verify against that JWKS', async () => {
    const written = await writeLocalSigningKey(dir, identity);
    expect(written.signingKeyFile).toBe(path.join(dir, 'signing-key.json'));
    expect(written.jwksFile).toBe(path.join(dir, 'jwks.json'));
    expect((await stat(written.signingKeyFile)).mode & 0o777).toBe(0o600);
    expect((await stat(written.jwksFile)).mode & 0o777).toBe(0o644);

    const onDisk = JSON.parse(await readFile(written.signingKeyFile, 'utf8')) as unknown;
    expect(onDisk).toEqual({ ...written.key });
    expect(written.key).toMatchObject(identity);
    const jwks = JSON.parse(await readFile(written.jwksFile, 'utf8')) as { keys: Record<string, unknown>[] };
    expect(jwks).toEqual(written.key.publicJwks);
    // The published set holds no private part.
    expect(jwks.keys.every((key) => !('d' in key))).toBe(true);

    const token = await issueToken({ key: written.key, issuer: identity.issuer, audience: identity.audience, subject: 'dev', permissions: ['books:read'] });
    const verifier = createTokenVerifier({
      issuers: [{ issuer: identity.issuer, audiences: [identity.audience], jwksFile: written.jwksFile, organizationClaim: 'org_id', permissionsClaim: 'permissions' }],
      clockToleranceSeconds: 30,
    });
    await expect(verifier.verify(token)).resolves.toMatchObject({ subject: 'dev', issuer: identity.issuer });
  });

  it('keeps an existing key, taking the issuer and audience given', async () => {
    const first = await writeLocalSigningKey(dir, identity);
    const second = await writeLocalSigningKey(dir, { issuer: 'http://127.0.0.1:9000/local', audience: 'other' });
    expect(second.key.kid).toBe(first.key.kid);
    expect(second.key.privateJwk).toEqual(first.key.privateJwk);
    expect(await readLocalSigningKey(dir)).toMatchObject({ kid: first.key.kid, issuer: 'http://127.0.0.1:9000/local', audience: 'other' });
  });

  it('reads no key from a directory without one', async () => {
    expect(await readLocalSigningKey(dir)).toBeUndefined();
  });

  it('refuses a file that is not a signing key', async () => {
    await writeLocalSigningKey(dir, identity);
    await writeFile(path.join(dir, 'signing-key.json'), '{"kid": "x"}');
    await expect(readLocalSigningKey(dir)).rejects.toThrow('is not a signing key file');
  });
});
