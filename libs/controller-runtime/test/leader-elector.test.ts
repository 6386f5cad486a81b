// LeaderElector against a real kube-apiserver, on short timings (lease 2 s, renew deadline 1.5 s, retry 0.5 s):
// of two candidates exactly one leads and the Lease names it; a leader that stops gives the Lease up and the
// standby takes over at its next try; a leader that crashes (nothing released) is replaced once its lease runs
// out, within leaseDuration + retryPeriod; a leader whose Lease another process took stops leading within the
// renew deadline.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { startKubeEnv, waitUntil, type KubeEnv } from '@bdk/testing';
import { CoordinationV1Api, CoreV1Api, type V1Lease } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { LeaderElectionMetrics, LeaderElector, leaderIdentity, type LeaderElectorOptions, type RuntimeLogger } from '../src/index.js';

const namespace = 'election';
const timing = { leaseDurationMs: 2_000, renewDeadlineMs: 1_500, retryPeriodMs: 500 };
let env: KubeEnv;
let leases: CoordinationV1Api;
const started: LeaderElector[] = [];

beforeAll(async () => {
  env = await startKubeEnv({ installCrds: false });
  leases = env.kubeConfig.makeApiClient(CoordinationV1Api);
  await env.kubeConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
}, 180_000);

afterEach(async () => {
  for (const elector of started.splice(0)) await elector.stop();
});

afterAll(async () => {
  await env?.stop();
}, 60_000);

interface Candidate {
  elector: LeaderElector;
  events: string[];
  registry: Registry;
}

const quiet: RuntimeLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

function candidate(lease: string, pod: string, options: Partial<LeaderElectorOptions> = {}): Candidate {
  const events: string[] = [];
  const registry = new Registry();
  const metrics = new LeaderElectionMetrics();
  metrics.register(registry);
  const elector = new LeaderElector({
    kubeConfig: env.kubeConfig,
    namespace,
    name: lease,
    identity: leaderIdentity(pod),
    ...timing,
    logger: quiet,
    metrics,
    onStartedLeading: () => events.push('started'),
    onStoppedLeading: () => events.push('stopped'),
    onNewLeader: (identity) => events.push(`leader ${identity}`),
    ...options,
  });
  elector.start();
  started.push(elector);
  return { elector, events, registry };
}

const readLease = (name: string): Promise<V1Lease> => leases.readNamespacedLease({ namespace, name });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const leaderOf = (...candidates: Candidate[]) => candidates.filter((c) => c.elector.isLeader);

async function masterStatus(candidate: Candidate, lease: string): Promise<number | undefined> {
  const line = (await candidate.registry.metrics()).split('\n').find((l) => l.startsWith(`leader_election_master_status{name="${lease}"}`));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

describe('LeaderElector', () => {
  it('lets exactly one of two candidates lead, names it in the Lease and reports it in the gauge', async () => {
    const a = candidate('one-leader', 'pod-a');
    const b = candidate('one-leader', 'pod-b');
    const [leader] = await waitUntil('a leader', () => (leaderOf(a, b).length > 0 ? leaderOf(a, b) : undefined));
    // Over several renewals, still the same single leader.
    await sleep(4 * timing.retryPeriodMs);
    expect(leaderOf(a, b)).toEqual([leader]);
    const standby = leader === a ? b : a;
    const lease = await readLease('one-leader');
    expect(lease.spec).toMatchObject({ holderIdentity: leader?.elector.identity, leaseDurationSeconds: 2 });
    expect(leader?.events).toEqual([`leader ${leader?.elector.identity}`, 'started']);
    expect(standby.events).toEqual([`leader ${leader?.elector.identity}`]);
    expect(await masterStatus(leader as Candidate, 'one-leader')).toBe(1);
    expect(await masterStatus(standby, 'one-leader')).toBe(0);
  });

  it('gives the Lease up on stop, so the standby takes over at its next try', async () => {
    const a = candidate('released', 'pod-a');
    await waitUntil('the first candidate to lead', () => a.elector.isLeader);
    const b = candidate('released', 'pod-b');
    await sleep(3 * timing.retryPeriodMs);
    expect(b.elector.isLeader).toBe(false);
    const transitions = (await readLease('released')).spec?.leaseTransitions ?? 0;

    const stoppedAt = Date.now();
    await a.elector.stop();
    expect(a.events.at(-1)).toBe('stopped');
    expect(await masterStatus(a, 'released')).toBe(0);
    await waitUntil('the standby to lead', () => b.elector.isLeader, { intervalMs: 20 });
    // Well before the 2 s lease would have run out.
    expect(Date.now() - stoppedAt).toBeLessThan(timing.retryPeriodMs + 400);
    expect((await readLease('released')).spec).toMatchObject({ holderIdentity: b.elector.identity, leaseTransitions: transitions + 1 });
  });

  it('replaces a leader that crashed once its lease runs out: within leaseDuration + retryPeriod, not before', async () => {
    const a = candidate('crashed', 'pod-a', { releaseOnStop: false });
    await waitUntil('the first candidate to lead', () => a.elector.isLeader);
    const b = candidate('crashed', 'pod-b');
    await sleep(3 * timing.retryPeriodMs);
    expect(b.elector.isLeader).toBe(false);

    const crashedAt = Date.now();
    await a.elector.stop(); // stops renewing and leaves the Lease as it is, as a killed process would
    expect((await readLease('crashed')).spec?.holderIdentity).toBe(a.elector.identity);
    await waitUntil('the standby to lead', () => b.elector.isLeader, { intervalMs: 20, timeoutMs: 10_000 });
    const tookMs = Date.now() - crashedAt;
    expect(tookMs).toBeGreaterThanOrEqual(timing.leaseDurationMs - timing.retryPeriodMs);
    expect(tookMs).toBeLessThan(timing.leaseDurationMs + timing.retryPeriodMs + 400);
    expect((await readLease('crashed')).spec?.holderIdentity).toBe(b.elector.identity);
  });

  it('stops leading within the renew deadline when another process holds the Lease', async () => {
    const a = candidate('taken', 'pod-a');
    await waitUntil('the candidate to lead', () => a.elector.isLeader);
    // Read and written back conditionally, as another candidate would; the leader's renewals may win a round.
    await waitUntil('the Lease taken over', async () => {
      const lease = await readLease('taken');
      return leases.replaceNamespacedLease({ namespace, name: 'taken', body: { ...lease, spec: { ...lease.spec, holderIdentity: 'intruder', leaseDurationSeconds: 60 } } });
    });
    const takenAt = Date.now();
    await waitUntil('the leader to step down', () => !a.elector.isLeader, { intervalMs: 20, timeoutMs: 10_000 });
    expect(Date.now() - takenAt).toBeLessThan(timing.renewDeadlineMs + timing.retryPeriodMs + 400);
    expect(a.events.at(-1)).toBe('stopped');
    expect(await masterStatus(a, 'taken')).toBe(0);
    // It did not take the Lease back.
    await sleep(2 * timing.retryPeriodMs);
    expect((await readLease('taken')).spec?.holderIdentity).toBe('intruder');
  });

  it('refuses timings that could let two leaders overlap', () => {
    const options = { kubeConfig: env.kubeConfig, namespace, name: 'x', identity: 'pod_1', logger: quiet, onStartedLeading: () => undefined };
    expect(() => new LeaderElector({ ...options, leaseDurationMs: 10_000, renewDeadlineMs: 10_000 })).toThrow(RangeError);
    expect(() => new LeaderElector({ ...options, renewDeadlineMs: 2_000, retryPeriodMs: 2_000 })).toThrow(RangeError);
    expect(() => new LeaderElector({ ...options, identity: '' })).toThrow(RangeError);
  });
});
