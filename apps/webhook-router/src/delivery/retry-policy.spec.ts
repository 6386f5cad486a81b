import { describe, expect, it } from '@jest/globals';
import { defaultRetrySchedule, nextStep, parseRetrySchedule, type RetryPolicy } from './retry-policy.js';

const now = new Date('2026-11-27T12:00:00Z');
const policy: RetryPolicy = { delaysMs: [1_000, 60_000], jitter: 0.2 };
const failed = { delivered: false, retryable: true, retryAfterSeconds: 0 };
const at = (outcome: ReturnType<typeof nextStep>) => (outcome.state === 'failed' ? outcome.nextAttemptAt.getTime() - now.getTime() : undefined);

describe('parseRetrySchedule', () => {
  it('reads the default schedule: seven delays, about 27.6 hours in all', () => {
    const delays = parseRetrySchedule(defaultRetrySchedule);
    expect(delays).toEqual([5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    expect(delays.reduce((a, b) => a + b) / 3_600_000).toBeCloseTo(27.6, 1);
  });

  it('reads every unit', () => {
    expect(parseRetrySchedule('250ms, 2s,3m,1h,1d')).toEqual([250, 2_000, 180_000, 3_600_000, 86_400_000]);
  });

  it('names the entry it cannot read', () => {
    expect(() => parseRetrySchedule('5s,soon')).toThrow('"soon" is not a delay');
    expect(() => parseRetrySchedule('5s,,5m')).toThrow('"" is not a delay');
    expect(() => parseRetrySchedule('0s')).toThrow('"0s" must be from 1ms to 7d');
    expect(() => parseRetrySchedule('8d')).toThrow('must be from 1ms to 7d');
  });
});

describe('nextStep', () => {
  it('marks a delivered attempt delivered', () => {
    expect(nextStep(policy, 1, { ...failed, delivered: true }, now)).toEqual({ state: 'delivered' });
  });

  it('holds a trigger for a suspended instance without spending an attempt, even past the last one', () => {
    expect(nextStep(policy, 1, { ...failed, held: true }, now)).toEqual({ state: 'held', nextAttemptAt: new Date(now.getTime() + 15_000) });
    expect(nextStep({ ...policy, heldRecheckMs: 2_000 }, 99, { ...failed, held: true }, now)).toEqual({ state: 'held', nextAttemptAt: new Date(now.getTime() + 2_000) });
  });

  it('dead-letters a failure that cannot pass on a later try, at once', () => {
    expect(nextStep(policy, 1, { ...failed, retryable: false }, now)).toEqual({ state: 'dead_lettered' });
  });

  it('schedules the retry after the delay of that attempt, within the jitter', () => {
    expect(at(nextStep(policy, 1, failed, now, () => 0.5))).toBe(1_000);
    expect(at(nextStep(policy, 1, failed, now, () => 0))).toBe(800);
    expect(at(nextStep(policy, 1, failed, now, () => 1))).toBe(1_200);
    expect(at(nextStep(policy, 2, failed, now, () => 0.5))).toBe(60_000);
  });

  it('dead-letters after the last scheduled attempt', () => {
    expect(nextStep(policy, 3, failed, now)).toEqual({ state: 'dead_lettered' });
  });

  it('waits as long as the book\u2019s Retry-After asks when that is longer, never shorter', () => {
    expect(at(nextStep(policy, 1, { ...failed, retryAfterSeconds: 30 }, now, () => 0.5))).toBe(30_000);
    expect(at(nextStep(policy, 2, { ...failed, retryAfterSeconds: 1 }, now, () => 0.5))).toBe(60_000);
  });
});
