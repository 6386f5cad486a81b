import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rename, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  authenticatedServiceAccount,
  cachingTokenReviewer,
  serviceAccountOf,
  serviceAccountUsername,
  tokenFileSource,
  type ServiceAccountIdentity,
} from './service-account-tokens.js';

const router: ServiceAccountIdentity = {
  username: 'system:serviceaccount:bdk:webhook-router',
  namespace: 'bdk',
  name: 'webhook-router',
};

/** An unsigned JWT with the claims given: the cache reads `exp` only, never the signature. */
function jwt(claims: object): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256' })}.${part(claims)}.signature`;
}

describe('serviceAccountUsername and serviceAccountOf', () => {
  it('name a service account the way the apiserver does, both ways', () => {
    expect(serviceAccountUsername('bdk', 'webhook-router')).toBe('system:serviceaccount:bdk:webhook-router');
    expect(serviceAccountOf('system:serviceaccount:bdk:webhook-router')).toEqual(router);
  });

  it.each(['bdk-admin', 'system:node:worker-1', 'system:serviceaccount:bdk', 'system:serviceaccount::x', 'system:serviceaccount:a:b:c'])(
    'finds no service account in %s',
    (username) => {
      expect(serviceAccountOf(username)).toBeUndefined();
    },
  );
});

describe('authenticatedServiceAccount', () => {
  const audience = 'bdk-book-controller';

  it('accepts an authenticated service account whose audiences include ours', () => {
    expect(authenticatedServiceAccount({ authenticated: true, audiences: [audience], user: { username: router.username } }, audience)).toEqual(router);
  });

  it.each([
    ['not authenticated', { authenticated: false, audiences: [audience], user: { username: router.username } }],
    ['authenticated for the apiserver only (no audiences)', { authenticated: true, user: { username: router.username } }],
    ['authenticated for another audience', { authenticated: true, audiences: ['https://kubernetes.default.svc'], user: { username: router.username } }],
    ['a user, not a service account', { authenticated: true, audiences: [audience], user: { username: 'bdk-admin' } }],
  ])('refuses a status that is %s', (_, status) => {
    expect(authenticatedServiceAccount(status, audience)).toBeUndefined();
  });
});

describe('cachingTokenReviewer', () => {
  let clock: number;
  let asked: string[];
  let answers: Map<string, ServiceAccountIdentity | undefined | Error>;

  beforeEach(() => {
    clock = 1_700_000_000_000;
    asked = [];
    answers = new Map();
  });

  function reviewer(options: { cacheSeconds?: number; negativeCacheSeconds?: number; maxEntries?: number } = {}) {
    return cachingTokenReviewer(
      async (token) => {
        asked.push(token);
        const answer = answers.get(token);
        if (answer instanceof Error) throw answer;
        return answer;
      },
      { cacheSeconds: 60, ...options, now: () => clock },
    );
  }

  it('answers an accepted token from the cache until cacheSeconds have passed', async () => {
    const token = jwt({ exp: clock / 1000 + 3600 });
    answers.set(token, router);
    const tokens = reviewer({ cacheSeconds: 60 });
    expect(await tokens.review(token)).toEqual(router);
    clock += 59_000;
    expect(await tokens.review(token)).toEqual(router);
    expect(asked).toHaveLength(1);
    clock += 2_000;
    answers.set(token, undefined);
    expect(await tokens.review(token)).toBeUndefined();
    expect(asked).toHaveLength(2);
  });

  it('never answers an accepted token from the cache past its exp', async () => {
    const token = jwt({ exp: clock / 1000 + 10 });
    answers.set(token, router);
    const tokens = reviewer({ cacheSeconds: 60 });
    await tokens.review(token);
    clock += 9_000;
    await tokens.review(token);
    expect(asked).toHaveLength(1);
    clock += 2_000;
    await tokens.review(token);
    expect(asked).toHaveLength(2);
  });

  it('remembers a refused token for a few seconds only', async () => {
    const tokens = reviewer({ negativeCacheSeconds: 5 });
    expect(await tokens.review('forged')).toBeUndefined();
    clock += 4_000;
    expect(await tokens.review('forged')).toBeUndefined();
    expect(asked).toEqual(['forged']);
    clock += 2_000;
    await tokens.review('forged');
    expect(asked).toEqual(['forged', 'forged']);
  });

  it('shares one request between concurrent reviews of a token', async () => {
    const token = jwt({ exp: clock / 1000 + 3600 });
    answers.set(token, router);
    const tokens = reviewer();
    const results = await Promise.all([tokens.review(token), tokens.review(token), tokens.review(token)]);
    expect(results).toEqual([router, router, router]);
    expect(asked).toHaveLength(1);
  });

  it('passes on a failure to ask, to every waiting caller, and does not remember it', async () => {
    answers.set('t', new Error('connect ECONNREFUSED'));
    const tokens = reviewer();
    const both = await Promise.allSettled([tokens.review('t'), tokens.review('t')]);
    expect(both.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(asked).toEqual(['t']);
    answers.set('t', router);
    expect(await tokens.review('t')).toEqual(router);
    expect(asked).toEqual(['t', 't']);
  });

  it('keeps at most maxEntries tokens, dropping the least recently used', async () => {
    for (const t of ['a', 'b', 'c']) answers.set(t, router);
    const tokens = reviewer({ maxEntries: 2 });
    await tokens.review('a');
    await tokens.review('b');
    await tokens.review('a');
    await tokens.review('c');
    expect(asked).toEqual(['a', 'b', 'c']);
    await tokens.review('a');
    expect(asked).toEqual(['a', 'b', 'c']);
    await tokens.review('b');
    expect(asked).toEqual(['a', 'b', 'c', 'b']);
  });

  it('does not ask about an empty token', async () => {
    expect(await reviewer().review('')).toBeUndefined();
    expect(asked).toEqual([]);
  });

  it('refuses a negative cacheSeconds', () => {
    expect(() => reviewer({ cacheSeconds: -1 })).toThrow('cacheSeconds must be a number of seconds >= 0, got -1');
  });
});

describe('tokenFileSource', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'bdk-token-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('picks up a token the kubelet rotated by swapping its data directory', async () => {
    // The kubelet's layout: token -> ..data/token, ..data -> ..<timestamp>/, swapped by an atomic rename.
    const writeGeneration = async (generation: string, token: string) => {
      await mkdir(path.join(dir, generation));
      await writeFile(path.join(dir, generation, 'token'), token);
      await symlink(generation, path.join(dir, '..data_tmp'));
      await rename(path.join(dir, '..data_tmp'), path.join(dir, '..data'));
    };
    await writeGeneration('..2024_01_01_00_00_00.1', 'first-token');
    await symlink('..data/token', path.join(dir, 'token'));
    const source = tokenFileSource(path.join(dir, 'token'));
    expect(await source()).toBe('first-token');

    await writeGeneration('..2024_01_01_00_50_00.2', 'second-token');
    expect(await source()).toBe('second-token');
  });

  it('re-reads a file rewritten in place once its mtime changes, and only then', async () => {
    const file = path.join(dir, 'token');
    const written = new Date('2024-01-01T00:00:00Z');
    await writeFile(file, 'first-token\n');
    await utimes(file, written, written);
    const source = tokenFileSource(file);
    expect(await source()).toBe('first-token');

    await writeFile(file, 'other-token');
    await utimes(file, written, written);
    expect(await source()).toBe('first-token');

    const rotated = new Date('2024-01-01T00:50:00Z');
    await utimes(file, rotated, rotated);
    expect(await source()).toBe('other-token');
  });

  it('fails on a missing or empty file', async () => {
    await expect(tokenFileSource(path.join(dir, 'absent'))()).rejects.toThrow(/ENOENT/);
    await writeFile(path.join(dir, 'empty'), '\n');
    await expect(tokenFileSource(path.join(dir, 'empty'))()).rejects.toThrow(/is empty/);
  });
});
