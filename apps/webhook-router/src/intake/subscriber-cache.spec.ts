import { beforeEach, describe, expect, it } from '@jest/globals';
import { createSubscriberCache, type SubscriberKey } from './subscriber-cache.js';

let clock: number;
let calls: SubscriberKey[];
let answer: string[];
let gate: Promise<void> | undefined;

function cache(options: { ttlMs?: number; maxEntries?: number } = {}) {
  return createSubscriberCache<string>({
    load: async (key) => {
      calls.push(key);
      const snapshot = [...answer];
      await gate;
      return snapshot;
    },
    ttlMs: options.ttlMs ?? 5_000,
    maxEntries: options.maxEntries,
    now: () => clock,
  });
}

const github = { source: 'github', instanceId: '' };
const oneInstance = { source: 'github', instanceId: '0b7c1d5e-8a8e-4f43-9d5c-3f7b1c2a9e10' };

beforeEach(() => {
  clock = 1_000_000;
  calls = [];
  answer = ['a'];
  gate = undefined;
});

describe('createSubscriberCache', () => {
  it('serves a list for the TTL, then asks again', async () => {
    const subscribers = cache();
    expect(await subscribers.get(github)).toEqual(['a']);
    answer = ['b'];
    clock += 4_999;
    expect(await subscribers.get(github)).toEqual(['a']);
    clock += 1;
    expect(await subscribers.get(github)).toEqual(['b']);
    expect(calls).toEqual([github, github]);
  });

  it('keeps the source-wide list and each instance\u2019s apart', async () => {
    const subscribers = cache();
    await subscribers.get(github);
    await subscribers.get(oneInstance);
    await subscribers.get(oneInstance);
    expect(calls).toEqual([github, oneInstance]);
  });

  it('shares one call among concurrent callers of a key', async () => {
    const subscribers = cache();
    let open!: () => void;
    gate = new Promise((resolve) => (open = resolve));
    const both = Promise.all([subscribers.get(github), subscribers.get(github), subscribers.refetch(github)]);
    open();
    expect(await both).toEqual([['a'], ['a'], ['a']]);
    expect(calls).toHaveLength(1);
  });

  it('refetches after a miss at most once per second per key', async () => {
    const subscribers = cache();
    await subscribers.get(github);
    answer = ['rotated'];
    clock += 999;
    expect(await subscribers.refetch(github)).toBeUndefined();
    clock += 1;
    expect(await subscribers.refetch(github)).toEqual(['rotated']);
    // The refetched list is what get serves from now on.
    expect(await subscribers.get(github)).toEqual(['rotated']);
    expect(await subscribers.refetch(github)).toBeUndefined();
    expect(await subscribers.refetch(oneInstance)).toEqual(['rotated']);
    expect(calls).toEqual([github, github, oneInstance]);
  });

  it('asks on every get with a TTL of 0, but a refetch right after adds no call', async () => {
    const subscribers = cache({ ttlMs: 0 });
    await subscribers.get(github);
    await subscribers.get(github);
    expect(await subscribers.refetch(github)).toBeUndefined();
    expect(calls).toHaveLength(2);
  });

  it('does not remember a failed call', async () => {
    let fail = true;
    const subscribers = createSubscriberCache<string>({
      load: async () => {
        calls.push(github);
        if (fail) throw new Error('controller down');
        return ['a'];
      },
      ttlMs: 5_000,
      now: () => clock,
    });
    await expect(subscribers.get(github)).rejects.toThrow('controller down');
    fail = false;
    expect(await subscribers.get(github)).toEqual(['a']);
    expect(calls).toHaveLength(2);
  });

  it('forgets the least recently used keys beyond its bound', async () => {
    const subscribers = cache({ maxEntries: 2 });
    const key = (source: string) => ({ source, instanceId: '' });
    await subscribers.get(key('a'));
    await subscribers.get(key('b'));
    await subscribers.get(key('a'));
    await subscribers.get(key('c'));
    calls = [];
    await subscribers.get(key('a'));
    await subscribers.get(key('c'));
    expect(calls).toEqual([]);
    await subscribers.get(key('b'));
    expect(calls).toEqual([key('b')]);
  });
});
