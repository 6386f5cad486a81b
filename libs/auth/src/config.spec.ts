import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '@bdk/service-runtime';
import { readAuthConfig } from './config.js';

let dir: string;
let n = 0;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'bdk-auth-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function configFile(content: unknown): Promise<string> {
  const file = path.join(dir, `auth-${++n}.json`);
  await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

async function read(content: unknown) {
  return readAuthConfig({ BDK_AUTH_CONFIG: await configFile(content) });
}

const issuer = { issuer: 'https://idp.example', audiences: ['bdk'], jwksUrl: 'https://idp.example/jwks.json' };

describe('readAuthConfig', () => {
  it('refuses to start without BDK_AUTH_CONFIG, saying authentication is required and how to set it up', async () => {
    const error = await readAuthConfig({}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/^BDK_AUTH_CONFIG is not set: every public RPC requires authentication\. Set it to the path of a JSON file/);
    expect((error as Error).message).toContain('"jwksUrl"');
  });

  it('fills in the defaults', async () => {
    expect(await read({ issuers: [issuer] })).toEqual({
      issuers: [{ ...issuer, organizationClaim: 'org_id', permissionsClaim: 'permissions' }],
      clockToleranceSeconds: 30,
    });
  });

  it('reads every setting, resolving a relative jwksFile against the config file', async () => {
    const config = await read({
      issuers: [
        { issuer: 'https://a.example', audiences: [], jwksFile: 'keys/jwks.json', organizationClaim: 'https://bdk.example/org', permissionsClaim: 'scope' },
        { issuer: 'https://b.example', audiences: ['x', 'y'], jwksUrl: 'http://127.0.0.1:8000/jwks' },
      ],
      clockToleranceSeconds: 0,
    });
    expect(config).toEqual({
      issuers: [
        { issuer: 'https://a.example', audiences: [], jwksFile: path.join(dir, 'keys/jwks.json'), organizationClaim: 'https://bdk.example/org', permissionsClaim: 'scope' },
        { issuer: 'https://b.example', audiences: ['x', 'y'], jwksUrl: 'http://127.0.0.1:8000/jwks', organizationClaim: 'org_id', permissionsClaim: 'permissions' },
      ],
      clockToleranceSeconds: 0,
    });
  });

  it.each(['http://localhost:9000/jwks', 'http://127.0.0.2/jwks', 'http://[::1]:9000/jwks'])('allows plain http for the loopback host in %s', async (jwksUrl) => {
    expect((await read({ issuers: [{ ...issuer, jwksUrl }] })).issuers[0]?.jwksUrl).toBe(jwksUrl);
  });

  it.each<[string, unknown, string]>([
    ['a file that is not JSON', '{"issuers": [', 'is not JSON'],
    ['an array', [], 'the document must be a JSON object'],
    ['an unknown top-level key', { issuers: [issuer], tolerance: 5 }, 'tolerance is not a known key'],
    ['no issuers', {}, 'issuers is required'],
    ['an empty issuer list', { issuers: [] }, 'issuers must list at least one issuer'],
    ['an issuer that is not an object', { issuers: ['https://idp.example'] }, 'issuers[0] must be a JSON object'],
    ['an unknown issuer key', { issuers: [{ ...issuer, audience: 'bdk' }] }, 'issuers[0].audience is not a known key'],
    ['a missing issuer', { issuers: [{ audiences: [], jwksUrl: issuer.jwksUrl }] }, 'issuers[0].issuer is required'],
    ['an empty issuer', { issuers: [{ ...issuer, issuer: '' }] }, 'issuers[0].issuer must be a non-empty string'],
    ['missing audiences', { issuers: [{ issuer: issuer.issuer, jwksUrl: issuer.jwksUrl }] }, 'issuers[0].audiences is required'],
    ['audiences as a string', { issuers: [{ ...issuer, audiences: 'bdk' }] }, 'issuers[0].audiences must be an array of non-empty strings'],
    ['neither jwksFile nor jwksUrl', { issuers: [{ issuer: issuer.issuer, audiences: [] }] }, 'issuers[0].jwksFile or issuers[0].jwksUrl: exactly one must be set'],
    ['both jwksFile and jwksUrl', { issuers: [{ ...issuer, jwksFile: 'jwks.json' }] }, 'issuers[0].jwksFile or issuers[0].jwksUrl: exactly one must be set'],
    ['a relative jwksUrl', { issuers: [{ ...issuer, jwksUrl: '/jwks.json' }] }, 'issuers[0].jwksUrl must be an absolute URL'],
    ['plain http to another host', { issuers: [{ ...issuer, jwksUrl: 'http://idp.example/jwks.json' }] }, 'issuers[0].jwksUrl must use https (http only for loopback hosts)'],
    ['a look-alike loopback name', { issuers: [{ ...issuer, jwksUrl: 'http://127.0.0.1.evil.example/jwks' }] }, 'issuers[0].jwksUrl must use https'],
    ['an empty claim name', { issuers: [{ ...issuer, permissionsClaim: '' }] }, 'issuers[0].permissionsClaim must be a non-empty string'],
    ['a duplicate issuer', { issuers: [issuer, { ...issuer, audiences: ['other'] }] }, 'issuers[1].issuer repeats "https://idp.example"'],
    ['a negative clock tolerance', { issuers: [issuer], clockToleranceSeconds: -1 }, 'clockToleranceSeconds must be a whole number of seconds from 0 to 300'],
    ['an hour of clock tolerance', { issuers: [issuer], clockToleranceSeconds: 3600 }, 'clockToleranceSeconds must be a whole number'],
  ])('refuses %s, naming the key', async (_case, content, message) => {
    const file = await configFile(content);
    const error = await readAuthConfig({ BDK_AUTH_CONFIG: file }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(`BDK_AUTH_CONFIG`);
    expect((error as Error).message).toContain(file);
    expect((error as Error).message).toContain(message);
  });

  it('names the file it cannot read', async () => {
    const missing = path.join(dir, 'missing.json');
    await expect(readAuthConfig({ BDK_AUTH_CONFIG: missing })).rejects.toThrow(`BDK_AUTH_CONFIG: cannot read ${missing}`);
  });
});
