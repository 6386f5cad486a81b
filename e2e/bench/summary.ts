// The one block the benchmark prints at the end.
import type { BenchOptions } from './bench-options.js';
import type { DeliveryCount } from './delivery-ledger.js';
import { percentile } from './latency-stats.js';
import { peakRate, type PhaseResult } from './load-generator.js';

export interface BenchResults {
  options: BenchOptions;
  baseline: PhaseResult;
  bdk: PhaseResult;
  /** The open loop at half BDK's peak rate. */
  halfPeak: PhaseResult & { ratePerSecond: number };
  /** Non-2xx answers BDK gave over the whole run (warm-up and every phase), by status. */
  bdkRefused: Map<number, number>;
  /** Requests BDK gave no answer to over the whole run. */
  bdkFailed: number;
  deliveries: DeliveryCount;
  /** CPU milliseconds each process used during each side's measured closed loop, by process name. */
  cpu: { baseline: Map<string, number>; bdk: Map<string, number> };
}

/** The ratio BDK must reach (issue's target). */
export const targetRatio = 0.25;

function statuses(refused: Map<number, number>): string {
  const parts = [...refused].sort(([a], [b]) => a - b).map(([status, n]) => `${status}: ${n}`);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

const ms = (value: number) => (Number.isNaN(value) ? 'n/a' : `${value.toFixed(1)} ms`);

export function formatSummary(results: BenchResults): string {
  const { options, baseline, bdk, halfPeak, deliveries } = results;
  const baselineRps = peakRate(baseline);
  const bdkRps = peakRate(bdk);
  const ratio = baselineRps > 0 ? bdkRps / baselineRps : NaN;
  const total = (refused: Map<number, number>) => [...refused.values()].reduce((sum, n) => sum + n, 0);
  const row = (label: string, value: string) => `  ${label.padEnd(40)}${value}`;
  const achieved = (halfPeak.ok * 1_000) / halfPeak.windowMs;
  return [
    `webhook ingest: BDK through its gateway vs a bare Envoy in front of a minimal Node server`,
    `(${options.concurrency} senders, ${options.bodyBytes}-byte signed bodies, ${options.durationSeconds} s closed loop per side, ${options.openSeconds} s open loop)`,
    row('baseline peak', `${baselineRps.toFixed(0)} rps${total(baseline.refused) + baseline.failed > 0 ? `  non-2xx ${total(baseline.refused)}${statuses(baseline.refused)}, no answer ${baseline.failed}` : ''}`),
    row('BDK peak', `${bdkRps.toFixed(0)} rps  (p50 ${ms(percentile(bdk.latenciesMs, 50))}, p99 ${ms(percentile(bdk.latenciesMs, 99))} at the peak)`),
    row('ratio BDK / baseline', `${ratio.toFixed(3)}  (target >= ${targetRatio})`),
    row(`BDK at half its peak (${halfPeak.ratePerSecond.toFixed(0)} rps offered)`, `p50 ${ms(percentile(halfPeak.latenciesMs, 50))}  p99 ${ms(percentile(halfPeak.latenciesMs, 99))}  (${achieved.toFixed(0)} rps answered 2xx${halfPeak.notSent > 0 ? `, ${halfPeak.notSent} not sent: too many outstanding` : ''})`),
    row('accepted by BDK (2xx)', String(deliveries.accepted)),
    row('delivered to the book', `${deliveries.delivered}  (all there ${(deliveries.waitedMs / 1_000).toFixed(1)} s after the load ended)`),
    row('accepted but undelivered', `${deliveries.undelivered}  (target 0)`),
    row('refused by BDK (non-2xx)', `${total(results.bdkRefused)}${statuses(results.bdkRefused)}`),
    row('no answer from BDK (error, timeout)', String(results.bdkFailed)),
    row('duplicates at the book', String(deliveries.duplicates)),
    ...(deliveries.deliveredWithoutAcceptance > 0 ? [row('delivered but never answered 2xx', String(deliveries.deliveredWithoutAcceptance))] : []),
    ...(deliveries.acceptedWithoutId > 0 ? [row('2xx answers naming no webhook_id', String(deliveries.acceptedWithoutId))] : []),
    'CPU per request in the closed loops (ms, from /proc; what each process spent divided by the requests sent):',
    cpuLine('baseline', results.cpu.baseline, baseline.sent),
    cpuLine('BDK', results.cpu.bdk, bdk.sent),
    // On a machine whose cores are all busy, rates go as the inverse of CPU per request; this ratio does not move
    // with what else runs on the machine, the rates do.
    row('  CPU per request, baseline / BDK', cpuRatio(results)),
  ].join('\n');
}

function totalPerRequest(cpuMs: Map<string, number>, requests: number): number {
  return requests === 0 ? NaN : [...cpuMs.values()].reduce((sum, ms) => sum + ms, 0) / requests;
}

function cpuRatio(results: BenchResults): string {
  const ratio = totalPerRequest(results.cpu.baseline, results.baseline.sent) / totalPerRequest(results.cpu.bdk, results.bdk.sent);
  return Number.isFinite(ratio) ? ratio.toFixed(3) : 'n/a';
}

/** Processes that used less than this per request are left out of the CPU lines. */
const negligibleMs = 0.005;

function cpuLine(side: string, cpuMs: Map<string, number>, requests: number): string {
  if (requests === 0) return `  ${side}: no requests`;
  const perRequest = [...cpuMs].map(([name, ms]) => [name, ms / requests] as const).sort((a, b) => b[1] - a[1]);
  const total = totalPerRequest(cpuMs, requests);
  const parts = perRequest.filter(([, ms]) => ms >= negligibleMs).map(([name, ms]) => `${name} ${ms.toFixed(3)}`);
  return `  ${side.padEnd(9)} total ${total.toFixed(3)}: ${parts.join(', ')}`;
}
