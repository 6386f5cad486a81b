import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeLocalSigningKey } from './local-signing-key.js';
import { organizationPermissions } from './permissions.js';
import { localAuthDir, parseTokenArguments, runTokenCommand } from './token-command.js';
import { createTokenVerifier } from './verifier.js';

describe('parseTokenArguments', () => {
  it('reads an organisation token request with defaults', () => {
    expect(parseTokenArguments(['--org', 'acme'])).toEqual({ organizationId: 'acme', admin: false, subject: 'local-developer@acme', ttlSeconds: 3600 });
  });

  it('reads every option, in either form', () => {
    expect(parseTokenArguments(['--org=acme', '--admin', '--sub', 'alice', '--ttl=60'])).toEqual({ organizationId: 'acme', admin: true, subject: 'alice', ttlSeconds: 60 });
  });

  it('reads an admin request without an organisation', () => {
    expect(parseTokenArguments(['--admin'])).toEqual({ organizationId: undefined, admin: true, subject: 'local-admin', ttlSeconds: 3600 });
  });

  it.each<[string[], string]>([
    [[], '--org is required'],
    [['--sub', 'alice'], '--org is required'],
    [['--org'], "Option '--org <value>' argument missing"],
    [['--org', 'acme/eu'], '--org must be a Kubernetes label value'],
    [['--org', 'acme', '--ttl', '0'], '--ttl must be a positive whole number of seconds, got "0"'],
    [['--org', 'acme', '--ttl', '1.5'], '--ttl must be a positive whole number'],
    [['--org', 'acme', '--ttl', 'soon'], '--ttl must be a positive whole number'],
    [['--org', 'acme', '--sub', ''], '--sub must not be empty'],
    [['--org', 'acme', '--role', 'x'], "Unknown option '--role'"],
    [['--org', 'acme', 'extra'], 'extra'],
  ])('refuses %j', (args, message) => {
    expect(() => parseTokenArguments(args)).toThrow(message);
  });
});

describe('runTokenCommand', () => {
  let stateDir: string;
  let out: string;
  let err: string;
  const io = () => ({
    env: { BDK_LOCAL_STACK_DIR: stateDir },
    workspaceRoot: '/nonexistent',
    stdout: (text: string) => void (out += text),
    stderr: (text: string) => void (err += text),
  });
  const identity = { issuer: 'http://127.0.0.1/local', audience: 'bdk-local' };
  const verifier = () =>
    createTokenVerifier({
      issuers: [{ issuer: identity.issuer, audiences: [identity.audience], jwksFile: path.join(localAuthDir(stateDir), 'jwks.json'), organizationClaim: 'org_id', permissionsClaim: 'permissions' }],
      clockToleranceSeconds: 0,
    });

  beforeEach(async () => {
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'bdk-auth-token-'));
    out = '';
    err = '';
  });
  afterEach(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it('says to start the local stack when there is no key', async () => {
    expect(await runTokenCommand(['--org', 'acme'], io())).toBe(1);
    expect(out).toBe('');
    expect(err).toBe('no local signing key: start the local stack with `npm start` first\n');
  });

  it('prints only a token for the organisation with every organisation permission', async () => {
    await writeLocalSigningKey(localAuthDir(stateDir), identity);
    expect(await runTokenCommand(['--org', 'acme'], io())).toBe(0);
    expect(err).toBe('');
    expect(out).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const principal = await verifier().verify(out.trim());
    expect(principal).toMatchObject({ subject: 'local-developer@acme', organizationId: 'acme', issuer: identity.issuer });
    expect([...principal.permissions].sort()).toEqual([...organizationPermissions].sort());
  });

  it('adds books:publish with --admin, and gives only that and reading the catalogue without --org', async () => {
    await writeLocalSigningKey(localAuthDir(stateDir), identity);
    await runTokenCommand(['--org', 'acme', '--admin', '--sub', 'alice'], io());
    const both = await verifier().verify(out.trim());
    expect(both).toMatchObject({ subject: 'alice', organizationId: 'acme' });
    expect(both.permissions.has('books:publish')).toBe(true);
    expect(both.permissions.size).toBe(organizationPermissions.length + 1);

    out = '';
    await runTokenCommand(['--admin'], io());
    const admin = await verifier().verify(out.trim());
    expect(admin.organizationId).toBeUndefined();
    expect([...admin.permissions].sort()).toEqual(['books:publish', 'books:read']);
  });

  it('issues a token that lives for --ttl seconds', async () => {
    await writeLocalSigningKey(localAuthDir(stateDir), identity);
    await runTokenCommand(['--org', 'acme', '--ttl', '90'], io());
    const claims = JSON.parse(Buffer.from(out.trim().split('.')[1] ?? '', 'base64url').toString()) as { iat: number; exp: number };
    expect(claims.exp - claims.iat).toBe(90);
  });

  it('prints the usage for --help', async () => {
    expect(await runTokenCommand(['--help'], io())).toBe(0);
    expect(out).toMatch(/^usage: npm run --silent token -- --org <org>/);
  });

  it('prints the usage on a bad argument and exits 2', async () => {
    expect(await runTokenCommand(['--org'], io())).toBe(2);
    expect(out).toBe('');
    expect(err).toContain('usage: npm run --silent token -- --org <org>');
  });
});
