import path from 'node:path';
import { parseArgs } from 'node:util';
import { isOrganizationId } from './claims.js';
import { readLocalSigningKey } from './local-signing-key.js';
import { organizationPermissions, permissions, platformAdminPermissions, type Permission } from './permissions.js';
import { issueToken } from './signing-keys.js';

export const tokenUsage = 'usage: npm run --silent token -- --org <org> [--admin] [--sub <subject>] [--ttl <seconds>]';

/** What `npm run token` was asked for. */
export interface TokenRequest {
  organizationId: string | undefined;
  admin: boolean;
  subject: string;
  ttlSeconds: number;
}

export class TokenUsageError extends Error {
  override name = 'TokenUsageError';
}

export function parseTokenArguments(args: readonly string[]): TokenRequest {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: { org: { type: 'string' }, admin: { type: 'boolean' }, sub: { type: 'string' }, ttl: { type: 'string' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new TokenUsageError((error as Error).message);
  }
  const admin = values.admin ?? false;
  if (values.org === undefined && !admin) throw new TokenUsageError('--org is required (or --admin alone, for a platform admin token)');
  if (values.org !== undefined && !isOrganizationId(values.org)) {
    throw new TokenUsageError(`--org must be a Kubernetes label value (up to 63 letters, digits, "-", "_" or "."), got "${values.org}"`);
  }
  if (values.sub === '') throw new TokenUsageError('--sub must not be empty');
  const ttlSeconds = values.ttl === undefined ? 3600 : Number(values.ttl);
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) throw new TokenUsageError(`--ttl must be a positive whole number of seconds, got "${values.ttl}"`);
  return {
    organizationId: values.org,
    admin,
    // Who the local stack's audit logs name as the caller.
    subject: values.sub ?? (values.org === undefined ? 'local-admin' : `local-developer@${values.org}`),
    ttlSeconds,
  };
}

/**
 * An organisation's token carries every organisation permission; --admin adds the platform's, and reading the
 * catalogue it publishes to.
 */
export function tokenPermissions(request: Pick<TokenRequest, 'organizationId' | 'admin'>): Permission[] {
  const granted = new Set<Permission>(request.organizationId !== undefined ? organizationPermissions : []);
  if (request.admin) for (const permission of [...platformAdminPermissions, permissions.booksRead]) granted.add(permission);
  return [...granted];
}

export interface TokenCommandIo {
  env: NodeJS.ProcessEnv;
  /** Where `.local-stack` is when BDK_LOCAL_STACK_DIR is not set. */
  workspaceRoot: string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** `npm run token`: prints one bearer token signed with the local stack's key. Returns the exit code. */
export async function runTokenCommand(args: readonly string[], io: TokenCommandIo): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout(`${tokenUsage}\n`);
    return 0;
  }
  let request: TokenRequest;
  try {
    request = parseTokenArguments(args);
  } catch (error) {
    if (!(error instanceof TokenUsageError)) throw error;
    io.stderr(`${error.message}\n${tokenUsage}\n`);
    return 2;
  }
  const stateDir = io.env['BDK_LOCAL_STACK_DIR'] || path.join(io.workspaceRoot, '.local-stack');
  const key = await readLocalSigningKey(localAuthDir(stateDir));
  if (!key) {
    io.stderr('no local signing key: start the local stack with `npm start` first\n');
    return 1;
  }
  const token = await issueToken({
    key,
    issuer: key.issuer,
    audience: key.audience,
    subject: request.subject,
    ...(request.organizationId !== undefined ? { organizationId: request.organizationId } : {}),
    permissions: tokenPermissions(request),
    expiresInSeconds: request.ttlSeconds,
  });
  io.stdout(`${token}\n`);
  return 0;
}

/** Where in the local stack's state directory its signing key lives. */
export function localAuthDir(stateDir: string): string {
  return path.join(stateDir, 'auth');
}
