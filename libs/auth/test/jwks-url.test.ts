// Tokens verified against a real JWKS endpoint (node:http on 127.0.0.1): keys fetched, a rotation picked up,
// an endpoint that is down or hangs reported as jwks_unavailable.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthenticationError } from '../src/authentication-error.js';
import type { AuthConfig } from '../src/config.js';
import { generateSigningKey, issueToken, type LocalSigningKey } from '../src/signing-keys.js';
import { createTokenVerifier, type TokenVerifier } from '../src/verifier.js';

const issuer = 'https://idp.test';
const audience = 'bdk-api';

interface JwksServer {
  url: string;
  /** What the endpoint serves now. */
  keys: LocalSigningKey[];
  requests: number;
  /** Whether requests get an answer. */
  answer: boolean;
  close(): Promise<void>;
}

async function startJwksServer(keys: LocalSigningKey[]): Promise<JwksServer> {
  const state = { keys, requests: 0, answer: true };
  const server = http.createServer((request, response) => {
    state.requests++;
    if (!state.answer) return;
    if (request.url !== '/.well-known/jwks.json') {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ keys: state.keys.flatMap((key) => key.publicJwks.keys) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

function configFor(url: string): AuthConfig {
  return { issuers: [{ issuer, audiences: [audience], jwksUrl: url, organizationClaim: 'org_id', permissionsClaim: 'permissions' }], clockToleranceSeconds: 30 };
}

const tokenFrom = (key: LocalSigningKey) => issueToken({ key, issuer, audience, subject: 'alice', organizationId: 'acme', permissions: ['books:read'] });

async function reasonOf(verifier: TokenVerifier, token: string): Promise<string> {
  const error = await verifier.verify(token).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof AuthenticationError)) throw new Error(`expected an AuthenticationError, got ${String(error)}`);
  return error.reason;
}

let first: LocalSigningKey;
let second: LocalSigningKey;
const servers: JwksServer[] = [];

async function server(keys: LocalSigningKey[]): Promise<JwksServer> {
  const started = await startJwksServer(keys);
  servers.push(started);
  return started;
}

beforeAll(async () => {
  [first, second] = await Promise.all([generateSigningKey(), generateSigningKey()]);
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('a jwksUrl issuer', () => {
  it('verifies tokens with the keys it fetches, fetching once for many tokens', async () => {
    const jwks = await server([first]);
    const verifier = createTokenVerifier(configFor(jwks.url));
    for (let i = 0; i < 3; i++) await expect(verifier.verify(await tokenFrom(first))).resolves.toMatchObject({ subject: 'alice', organizationId: 'acme' });
    expect(jwks.requests).toBe(1);
    expect(await reasonOf(verifier, await tokenFrom({ ...second, kid: first.kid }))).toBe('bad_signature');
  });

  it('picks up a key rotation at the endpoint: a new kid triggers a fetch', async () => {
    const jwks = await server([first]);
    const verifier = createTokenVerifier(configFor(jwks.url), { jwksUrl: { cooldownMs: 0 } });
    await verifier.verify(await tokenFrom(first));

    jwks.keys = [second];
    await expect(verifier.verify(await tokenFrom(second))).resolves.toMatchObject({ subject: 'alice' });
    expect(jwks.requests).toBe(2);
    // The retired key is gone from the set.
    expect(await reasonOf(verifier, await tokenFrom(first))).toBe('bad_signature');
  });

  it('waits out the cooldown before fetching again for an unknown kid', async () => {
    const jwks = await server([first]);
    const verifier = createTokenVerifier(configFor(jwks.url), { jwksUrl: { cooldownMs: 60_000 } });
    await verifier.verify(await tokenFrom(first));
    jwks.keys = [first, second];
    expect(await reasonOf(verifier, await tokenFrom(second))).toBe('bad_signature');
    expect(jwks.requests).toBe(1);
  });

  it('reports an endpoint that is down as jwks_unavailable', async () => {
    const jwks = await server([first]);
    const url = jwks.url;
    await jwks.close();
    expect(await reasonOf(createTokenVerifier(configFor(url)), await tokenFrom(first))).toBe('jwks_unavailable');
  });

  it('reports jwks_unavailable when the endpoint goes down before a rotated key is fetched', async () => {
    const jwks = await server([first]);
    const verifier = createTokenVerifier(configFor(jwks.url), { jwksUrl: { cooldownMs: 0 } });
    await verifier.verify(await tokenFrom(first));
    await jwks.close();
    expect(await reasonOf(verifier, await tokenFrom(second))).toBe('jwks_unavailable');
  });

  it('reports an endpoint answering an error status as jwks_unavailable', async () => {
    const jwks = await server([first]);
    expect(await reasonOf(createTokenVerifier(configFor(jwks.url.replace('jwks.json', 'missing.json'))), await tokenFrom(first))).toBe('jwks_unavailable');
  });

  it('gives up on an endpoint that does not answer within the timeout', async () => {
    const jwks = await server([first]);
    jwks.answer = false;
    const started = Date.now();
    expect(await reasonOf(createTokenVerifier(configFor(jwks.url), { jwksUrl: { timeoutMs: 200 } }), await tokenFrom(first))).toBe('jwks_unavailable');
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
