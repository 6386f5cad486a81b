// A jwksFile issuer follows its file: a rewritten key set (as when a Secret or ConfigMap is updated) is used
// by the running verifier, with no restart.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdir, rename, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AuthenticationError } from '../src/authentication-error.js';
import { generateSigningKey } from '../src/signing-keys.js';
import { createTokenVerifier, type TokenVerifier } from '../src/verifier.js';
import { createIssuerFixture, type IssuerFixture } from './issuer-fixture.js';

let issuer: IssuerFixture;

beforeEach(async () => {
  issuer = await createIssuerFixture();
});
afterEach(async () => {
  await issuer.cleanup();
});

async function reasonOf(verifier: TokenVerifier, token: string): Promise<string | undefined> {
  const error = await verifier.verify(token).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error === undefined) return undefined;
  if (!(error instanceof AuthenticationError)) throw error;
  return error.reason;
}

describe('a jwksFile issuer', () => {
  it('uses a key set rewritten in place without a restart', async () => {
    const verifier = createTokenVerifier(issuer.config());
    const oldToken = await issuer.token();
    expect(await reasonOf(verifier, oldToken)).toBeUndefined();

    const rotated = await generateSigningKey();
    const newToken = await issuer.token({ key: rotated });
    expect(await reasonOf(verifier, newToken)).toBe('bad_signature');

    await writeFile(issuer.jwksFile, JSON.stringify(rotated.publicJwks));
    expect(await reasonOf(verifier, newToken)).toBeUndefined();
    expect(await reasonOf(verifier, oldToken)).toBe('bad_signature');
  });

  it('sees a rewrite that leaves the same size and modification time (two writes within one clock tick)', async () => {
    const mtime = new Date(Math.floor(Date.now() / 1000) * 1000);
    await utimes(issuer.jwksFile, mtime, mtime);
    const verifier = createTokenVerifier(issuer.config());
    expect(await reasonOf(verifier, await issuer.token())).toBeUndefined();

    const rotated = await generateSigningKey();
    const before = (await stat(issuer.jwksFile)).size;
    await writeFile(issuer.jwksFile, JSON.stringify(rotated.publicJwks));
    await utimes(issuer.jwksFile, mtime, mtime);
    expect((await stat(issuer.jwksFile)).size).toBe(before);
    expect(await reasonOf(verifier, await issuer.token({ key: rotated }))).toBeUndefined();
  });

  it('follows a Kubernetes-style volume update (the ..data symlink swapped to a new directory)', async () => {
    // The kubelet writes each version to its own directory and renames a symlink over ..data.
    const volume = path.join(issuer.dir, 'volume');
    await mkdir(path.join(volume, '..v1'), { recursive: true });
    await writeFile(path.join(volume, '..v1', 'jwks.json'), JSON.stringify(issuer.key.publicJwks));
    await symlink('..v1', path.join(volume, '..data'));
    await symlink('..data/jwks.json', path.join(volume, 'jwks.json'));
    const verifier = createTokenVerifier(issuer.config({ jwksFile: path.join(volume, 'jwks.json') }));
    expect(await reasonOf(verifier, await issuer.token())).toBeUndefined();

    const rotated = await generateSigningKey();
    await mkdir(path.join(volume, '..v2'));
    await writeFile(path.join(volume, '..v2', 'jwks.json'), JSON.stringify(rotated.publicJwks));
    await symlink('..v2', path.join(volume, '..data_tmp'));
    await rename(path.join(volume, '..data_tmp'), path.join(volume, '..data'));
    await rm(path.join(volume, '..v1'), { recursive: true });

    expect(await reasonOf(verifier, await issuer.token({ key: rotated }))).toBeUndefined();
    expect(await reasonOf(verifier, await issuer.token())).toBe('bad_signature');
  });

  it('reports a file that is not a key set as jwks_unavailable, and recovers when it is fixed', async () => {
    const verifier = createTokenVerifier(issuer.config());
    const token = await issuer.token();
    await writeFile(issuer.jwksFile, '{"keys": [');
    expect(await reasonOf(verifier, token)).toBe('jwks_unavailable');
    await writeFile(issuer.jwksFile, JSON.stringify(issuer.key.publicJwks));
    expect(await reasonOf(verifier, token)).toBeUndefined();
  });
});
