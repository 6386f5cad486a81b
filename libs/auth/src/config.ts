import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import path from 'node:path';
import { ConfigError } from '@bdk/service-runtime';

/** One identity provider whose tokens BDK accepts. */
export interface IssuerConfig {
  /** The exact `iss` of its tokens. */
  issuer: string;
  /** Accepted `aud` values; empty: `aud` is not checked. */
  audiences: string[];
  /** A JWKS JSON file (from a Secret or ConfigMap), re-read when its modification time changes. */
  jwksFile?: string;
  /** The provider's JWKS endpoint, fetched and cached. */
  jwksUrl?: string;
  /** The claim holding the organisation id. */
  organizationClaim: string;
  /** The claim holding the permissions: an array of strings, or one space-separated string (OAuth `scope`). */
  permissionsClaim: string;
}

export interface AuthConfig {
  issuers: IssuerConfig[];
  /** Allowed clock skew for `exp`, `nbf` and `iat`. */
  clockToleranceSeconds: number;
}

export const authConfigVariable = 'BDK_AUTH_CONFIG';
export const defaultOrganizationClaim = 'org_id';
export const defaultPermissionsClaim = 'permissions';
const defaultClockToleranceSeconds = 30;
// More skew than this hides a broken clock rather than tolerating a slow one.
const maxClockToleranceSeconds = 300;

const configKeys = ['issuers', 'clockToleranceSeconds'];
const issuerKeys = ['issuer', 'audiences', 'jwksFile', 'jwksUrl', 'organizationClaim', 'permissionsClaim'];

/**
 * Reads the file named by BDK_AUTH_CONFIG: {"issuers": [...], "clockToleranceSeconds": 30}. Every mistake is a
 * ConfigError naming the key, so a service refuses to start rather than run with authentication half set up.
 * A relative jwksFile is resolved against the config file's directory.
 */
export async function readAuthConfig(env: NodeJS.ProcessEnv): Promise<AuthConfig> {
  const file = env[authConfigVariable];
  if (!file) {
    throw new ConfigError(
      `${authConfigVariable} is not set: every public RPC requires authentication. Set it to the path of a JSON file ` +
        `{"issuers": [{"issuer": "<iss>", "audiences": ["<aud>"], "jwksUrl": "https://<idp>/jwks.json"}]} ` +
        `(or "jwksFile" instead of "jwksUrl"); see libs/auth/README.md`,
    );
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`${authConfigVariable}: cannot read ${file}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${authConfigVariable}: ${file} is not JSON: ${(error as Error).message}`);
  }
  return parseAuthConfig(json, { source: `${authConfigVariable} (${file})`, baseDir: path.dirname(path.resolve(file)) });
}

/** Validates a parsed config document; `source` prefixes every error, `baseDir` anchors relative jwksFile paths. */
export function parseAuthConfig(json: unknown, options: { source: string; baseDir: string }): AuthConfig {
  const fail = (key: string, problem: string): never => {
    throw new ConfigError(`${options.source}: ${key} ${problem}`);
  };
  const root = object(json, 'the document', fail);
  unknownKeys(root, configKeys, '', fail);

  const issuersValue = root['issuers'];
  if (issuersValue === undefined) fail('issuers', 'is required');
  if (!Array.isArray(issuersValue)) return fail('issuers', 'must be an array');
  if (issuersValue.length === 0) fail('issuers', 'must list at least one issuer');

  const issuers = issuersValue.map((value: unknown, index) => parseIssuer(value, `issuers[${index}]`, options.baseDir, fail));
  const seen = new Set<string>();
  issuers.forEach((issuer, index) => {
    if (seen.has(issuer.issuer)) fail(`issuers[${index}].issuer`, `repeats "${issuer.issuer}"`);
    seen.add(issuer.issuer);
  });

  const tolerance = root['clockToleranceSeconds'] ?? defaultClockToleranceSeconds;
  if (typeof tolerance !== 'number' || !Number.isInteger(tolerance) || tolerance < 0 || tolerance > maxClockToleranceSeconds) {
    fail('clockToleranceSeconds', `must be a whole number of seconds from 0 to ${maxClockToleranceSeconds}, got ${JSON.stringify(tolerance)}`);
  }
  return { issuers, clockToleranceSeconds: tolerance as number };
}

type Fail = (key: string, problem: string) => never;

function parseIssuer(value: unknown, at: string, baseDir: string, fail: Fail): IssuerConfig {
  const entry = object(value, at, fail);
  unknownKeys(entry, issuerKeys, `${at}.`, fail);

  const issuer = nonEmptyString(entry['issuer'], `${at}.issuer`, fail, true) as string;
  // Required, even if empty, so that accepting tokens meant for any audience is a visible decision.
  const audiences = entry['audiences'];
  if (audiences === undefined) fail(`${at}.audiences`, 'is required (an empty list turns the audience check off)');
  if (!Array.isArray(audiences) || audiences.some((a) => typeof a !== 'string' || a === '')) {
    return fail(`${at}.audiences`, 'must be an array of non-empty strings');
  }

  const jwksFile = nonEmptyString(entry['jwksFile'], `${at}.jwksFile`, fail, false);
  const jwksUrl = nonEmptyString(entry['jwksUrl'], `${at}.jwksUrl`, fail, false);
  if ((jwksFile === undefined) === (jwksUrl === undefined)) {
    fail(`${at}.jwksFile`, `or ${at}.jwksUrl: exactly one must be set`);
  }
  if (jwksUrl !== undefined) checkJwksUrl(jwksUrl, `${at}.jwksUrl`, fail);

  return {
    issuer,
    audiences: [...(audiences as string[])],
    ...(jwksFile !== undefined ? { jwksFile: path.resolve(baseDir, jwksFile) } : {}),
    ...(jwksUrl !== undefined ? { jwksUrl } : {}),
    organizationClaim: nonEmptyString(entry['organizationClaim'], `${at}.organizationClaim`, fail, false) ?? defaultOrganizationClaim,
    permissionsClaim: nonEmptyString(entry['permissionsClaim'], `${at}.permissionsClaim`, fail, false) ?? defaultPermissionsClaim,
  };
}

// Keys fetched over plain HTTP could be swapped on the way; only a loopback endpoint is safe without TLS.
function checkJwksUrl(value: string, key: string, fail: Fail): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return fail(key, `must be an absolute URL, got "${value}"`);
  }
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && isLoopback(url.hostname)) return;
  fail(key, `must use https (http only for loopback hosts), got "${value}"`);
}

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

function object(value: unknown, key: string, fail: Fail): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail(key, 'must be a JSON object');
  return value as Record<string, unknown>;
}

function unknownKeys(value: Record<string, unknown>, allowed: string[], prefix: string, fail: Fail): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) fail(`${prefix}${key}`, `is not a known key (known: ${allowed.join(', ')})`);
  }
}

function nonEmptyString(value: unknown, key: string, fail: Fail, required: boolean): string | undefined {
  if (value === undefined) return required ? fail(key, 'is required') : undefined;
  if (typeof value !== 'string' || value === '') return fail(key, 'must be a non-empty string');
  return value;
}
