import { describe, expect, it } from '@jest/globals';
import { TokenBuckets } from './token-buckets.js';

describe('TokenBuckets', () => {
  it('lets a burst through, then the steady rate, and says how long to wait', () => {
    const buckets = new TokenBuckets({ ratePerSecond: 2, burst: 3 });
    expect([0, 0, 0].map((t) => buckets.take('github', t).ok)).toEqual([true, true, true]);
    expect(buckets.take('github', 0)).toEqual({ ok: false, retryAfterSeconds: 1 });
    expect(buckets.take('github', 500).ok).toBe(true); // one token back after half a second at 2/s
    expect(buckets.take('github', 500).ok).toBe(false);
  });

  it('keeps one bucket per key', () => {
    const buckets = new TokenBuckets({ ratePerSecond: 1, burst: 1 });
    expect(buckets.take('org-a', 0).ok).toBe(true);
    expect(buckets.take('org-a', 0).ok).toBe(false);
    expect(buckets.take('org-b', 0).ok).toBe(true);
  });

  it('rounds the wait up to whole seconds for a slow rate', () => {
    const buckets = new TokenBuckets({ ratePerSecond: 0.1, burst: 1 });
    buckets.take('slow', 0);
    expect(buckets.take('slow', 0)).toEqual({ ok: false, retryAfterSeconds: 10 });
  });

  it('limits nothing at rate 0', () => {
    const buckets = new TokenBuckets({ ratePerSecond: 0, burst: 0 });
    expect(Array.from({ length: 1_000 }, () => buckets.take('any', 0).ok).every(Boolean)).toBe(true);
  });

  it('stays within its key bound, dropping refilled buckets first, then the least recently used', () => {
    const buckets = new TokenBuckets({ ratePerSecond: 1, burst: 1 }, 4);
    for (let i = 0; i < 100; i++) {
      buckets.take(`stranger-${i}`, i);
      buckets.take('busy', i); // used all along: never the least recent, never refilled
    }
    expect(buckets.take('busy', 99).ok).toBe(false);
    expect((buckets as unknown as { buckets: Map<string, unknown> }).buckets.size).toBeLessThanOrEqual(4);
  });
});
