import { describe, expect, it } from '@jest/globals';
import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('hands out the burst at once, then spaces further tokens at the rate', () => {
    const clock = { now: 0 };
    const bucket = new TokenBucket(10, 3, () => clock.now);
    expect([1, 2, 3].map(() => bucket.reserve())).toEqual([0, 0, 0]);
    // Borrowed from the future: the 4th token is due in 100 ms, the 5th in 200 ms.
    expect(bucket.reserve()).toBeCloseTo(100);
    expect(bucket.reserve()).toBeCloseTo(200);
  });

  it('refills at the rate while idle, never above the burst', () => {
    const clock = { now: 0 };
    const bucket = new TokenBucket(10, 2, () => clock.now);
    bucket.reserve();
    bucket.reserve();
    clock.now = 100; // one token back
    expect(bucket.reserve()).toBe(0);
    expect(bucket.reserve()).toBeCloseTo(100);
    clock.now = 60_000; // a minute idle fills only the burst
    expect([1, 2].map(() => bucket.reserve())).toEqual([0, 0]);
    expect(bucket.reserve()).toBeCloseTo(100);
  });

  it('refuses a rate or burst that could never hand out a token', () => {
    expect(() => new TokenBucket(0, 10)).toThrow(RangeError);
    expect(() => new TokenBucket(10, 0)).toThrow(RangeError);
  });
});
