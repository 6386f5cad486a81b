import { describe, expect, it } from '@jest/globals';
import { percentile } from './latency-stats.js';

describe('percentile', () => {
  it('is a measured value, by nearest rank, whatever the order of the samples', () => {
    const samples = [9, 1, 8, 2, 7, 3, 6, 4, 5, 10];
    expect(percentile(samples, 50)).toBe(5);
    expect(percentile(samples, 99)).toBe(10);
    expect(percentile(samples, 10)).toBe(1);
    expect(percentile(samples, 100)).toBe(10);
  });

  it('is NaN without samples', () => {
    expect(percentile([], 50)).toBeNaN();
  });
});
