import { describe, expect, it } from '@jest/globals';
import { defaultBenchOptions } from './bench-options.js';
import type { PhaseResult } from './load-generator.js';
import { formatSummary } from './summary.js';

function phase(okInWindow: number, latenciesMs: number[], refused: [number, number][] = []): PhaseResult {
  return { windowMs: 10_000, sent: okInWindow, okInWindow, ok: okInWindow, refused: new Map(refused), failed: 0, notSent: 0, latenciesMs };
}

describe('formatSummary', () => {
  const summary = formatSummary({
    options: defaultBenchOptions,
    baseline: phase(100_000, [1]),
    bdk: phase(5_000, [10, 20, 30, 40]),
    halfPeak: { ...phase(2_500, [5, 6, 7, 8, 100]), windowMs: 10_000, ratePerSecond: 250 },
    bdkRefused: new Map([[503, 2], [429, 1]]),
    bdkFailed: 4,
    deliveries: { accepted: 7_500, delivered: 7_499, undelivered: 1, duplicates: 3, deliveredWithoutAcceptance: 0, acceptedWithoutId: 0, waitedMs: 60_000 },
    cpu: { baseline: new Map([['baseline envoy', 20_000], ['load generator', 30_000]]), bdk: new Map([['webhook-router', 20_000], ['book-controller', 5_000]]) },
  });
  const line = (label: string) => summary.split('\n').find((each) => each.trimStart().startsWith(label)) ?? '';

  it('prints both peaks, their ratio and the latency at half the peak', () => {
    expect(line('baseline peak')).toMatch(/10000 rps$/);
    expect(line('BDK peak')).toMatch(/500 rps/);
    expect(line('ratio BDK / baseline')).toContain('0.050');
    expect(line('BDK at half its peak')).toMatch(/\(250 rps offered\)\s+p50 7\.0 ms {2}p99 100\.0 ms/);
  });

  it('prints what was accepted, delivered, lost, refused by status and duplicated', () => {
    expect(line('accepted by BDK')).toMatch(/7500$/);
    expect(line('delivered to the book')).toMatch(/7499 .*60\.0 s/);
    expect(line('accepted but undelivered')).toMatch(/\s1 {2}\(target 0\)$/);
    expect(line('refused by BDK')).toMatch(/3 \(429: 1, 503: 2\)$/);
    expect(line('no answer from BDK')).toMatch(/4$/);
    expect(line('duplicates at the book')).toMatch(/3$/);
  });

  it('prints CPU per request by process, and the ratio of the totals', () => {
    expect(line('baseline  total')).toBe('  baseline  total 0.500: load generator 0.300, baseline envoy 0.200');
    expect(line('BDK       total')).toBe('  BDK       total 5.000: webhook-router 4.000, book-controller 1.000');
    expect(line('CPU per request, baseline / BDK')).toMatch(/0\.100$/);
  });
});
