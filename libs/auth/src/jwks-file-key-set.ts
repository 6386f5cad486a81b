import { readFile, stat } from 'node:fs/promises';
import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { AuthenticationError } from './authentication-error.js';

// File times come from a coarse clock: two writes a few milliseconds apart can leave the same modification
// time (and, for key sets of one shape, the same size). A file changed this recently is read again each time.
const settleMs = 1000;

/**
 * Keys from a JWKS file, read again whenever the file changes (inode, size or modification time), so a rotated
 * Secret or ConfigMap takes effect without a restart. Kubernetes swaps a mounted volume's files by symlink,
 * which `stat` follows.
 */
export function jwksFileKeySet(file: string): JWTVerifyGetKey {
  let loaded: { version: string; settled: boolean; text: string; keys: JWTVerifyGetKey } | undefined;
  return async (header, token) => {
    const now = Date.now();
    let version: string;
    let modified: number;
    try {
      const stats = await stat(file, { bigint: true });
      version = `${stats.ino}:${stats.size}:${stats.mtimeNs}`;
      modified = Number(stats.mtimeMs);
    } catch (error) {
      throw new AuthenticationError('jwks_unavailable', `cannot read the JWKS file ${file}: ${(error as Error).message}`, { cause: error });
    }
    if (loaded?.version !== version || !loaded.settled) {
      // Read after the stat, so the text is at least as new as the version; a later write changes the version.
      const text = await readText(file);
      const keys = loaded?.text === text ? loaded.keys : parseKeySet(file, text);
      loaded = { version, settled: now - modified > settleMs, text, keys };
    }
    return loaded.keys(header, token);
  };
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new AuthenticationError('jwks_unavailable', `cannot read the JWKS file ${file}: ${(error as Error).message}`, { cause: error });
  }
}

function parseKeySet(file: string, text: string): JWTVerifyGetKey {
  try {
    return createLocalJWKSet(JSON.parse(text) as JSONWebKeySet);
  } catch (error) {
    throw new AuthenticationError('jwks_unavailable', `the JWKS file ${file} is not a usable key set: ${(error as Error).message}`, { cause: error });
  }
}
