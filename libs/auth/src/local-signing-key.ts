import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateSigningKey, type LocalSigningKey } from './signing-keys.js';

/** `<dir>/signing-key.json`: the local stack's key, and whose tokens it signs for. */
export interface LocalSigningKeyFile extends LocalSigningKey {
  issuer: string;
  audience: string;
}

export interface LocalSigningKeyFiles {
  key: LocalSigningKeyFile;
  /** The private key: mode 0600. */
  signingKeyFile: string;
  /** The public keys, for the services' jwksFile. */
  jwksFile: string;
}

export const signingKeyFileName = 'signing-key.json';
export const jwksFileName = 'jwks.json';

/**
 * Makes sure `<dir>` holds a signing key and its JWKS. An existing key is kept, so tokens issued before a
 * restart of the local stack stay valid; its issuer and audience are updated to the ones given.
 */
export async function writeLocalSigningKey(dir: string, identity: { issuer: string; audience: string }): Promise<LocalSigningKeyFiles> {
  const signingKeyFile = path.join(dir, signingKeyFileName);
  const jwksFile = path.join(dir, jwksFileName);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const existing = await readLocalSigningKey(dir);
  const { privateJwk, publicJwks, kid } = existing ?? (await generateSigningKey());
  const key: LocalSigningKeyFile = { privateJwk, publicJwks, kid, issuer: identity.issuer, audience: identity.audience };
  await replaceFile(signingKeyFile, JSON.stringify(key, null, 2) + '\n', 0o600);
  await replaceFile(jwksFile, JSON.stringify(key.publicJwks, null, 2) + '\n', 0o644);
  return { key, signingKeyFile, jwksFile };
}

/** The key in `<dir>/signing-key.json`, or undefined when there is none. */
export async function readLocalSigningKey(dir: string): Promise<LocalSigningKeyFile | undefined> {
  const file = path.join(dir, signingKeyFileName);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const key = JSON.parse(text) as Partial<LocalSigningKeyFile>;
  const complete =
    typeof key.kid === 'string' &&
    typeof key.issuer === 'string' &&
    typeof key.audience === 'string' &&
    typeof key.privateJwk === 'object' &&
    Array.isArray(key.publicJwks?.keys);
  if (!complete) throw new Error(`${file} is not a signing key file (kid, issuer, audience, privateJwk, publicJwks)`);
  return key as LocalSigningKeyFile;
}

// Written beside and renamed into place, so a verifier watching the file never reads half of it, and the private
// key is never readable by others, not even for a moment.
async function replaceFile(file: string, content: string, mode: number): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await rm(temporary, { force: true });
  await writeFile(temporary, content, { mode, flag: 'wx' });
  // The umask may have narrowed the mode; the JWKS must stay readable.
  await chmod(temporary, mode);
  await rename(temporary, file);
}
