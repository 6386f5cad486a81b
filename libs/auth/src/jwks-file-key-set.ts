import { readFile, stat } from 'node:fs/promises';
import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { AuthenticationError } from './authentication-error.js';

/**
 * Keys from a JWKS file, read again whenever the file changes (inode, size or modification time), so a rotated
 * Secret or ConfigMap takes effect without a restart. Kubernetes swaps a mounted volume's files by symlink,
 * which `stat` follows.
 */
export function jwksFileKeySet(file: string): JWTVerifyGetKey {
  let loaded: { version: string; keys: JWTVerifyGetKey } | undefined;
  return async (header, token) => {
    let version: string;
    try {
      const stats = await stat(file, { bigint: true });
      version = `${stats.ino}:${stats.size}:${stats.mtimeNs}`;
    } catch (error) {
      throw new AuthenticationError('jwks_unavailable', `cannot read the JWKS file ${file}: ${(error as Error).message}`, { cause: error });
    }
    if (loaded?.version !== version) {
      // The version is the one seen before reading, so a write during the read is picked up by the next call.
      loaded = { version, keys: await readKeySet(file) };
    }
    return loaded.keys(header, token);
  };
}

async function readKeySet(file: string): Promise<JWTVerifyGetKey> {
  try {
    return createLocalJWKSet(JSON.parse(await readFile(file, 'utf8')) as JSONWebKeySet);
  } catch (error) {
    throw new AuthenticationError('jwks_unavailable', `the JWKS file ${file} is not a usable key set: ${(error as Error).message}`, { cause: error });
  }
}
