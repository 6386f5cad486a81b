import { describe, expect, it } from '@jest/globals';
import type { V1Lease } from '@kubernetes/client-node';
import { claimedSpec, heldForMs, observeLease, releasedSpec } from './lease-record.js';

const lease = (resourceVersion: string, holderIdentity?: string, leaseDurationSeconds = 15): V1Lease => ({
  metadata: { name: 'book-controller', namespace: 'bdk', resourceVersion },
  spec: { holderIdentity, leaseDurationSeconds, leaseTransitions: 2 },
});

describe('observeLease and heldForMs', () => {
  it('counts another holder\u2019s time from when this candidate saw the Lease change, by its own clock', () => {
    const seen = observeLease(undefined, lease('10', 'pod-a_1'), 1_000, 15_000);
    expect(seen).toEqual({ resourceVersion: '10', holder: 'pod-a_1', leaseDurationMs: 15_000, observedAt: 1_000 });
    expect(heldForMs(seen, 'pod-b_2', 6_000)).toBe(10_000);
    // Reading the same version again does not restart the holder's time: it keeps running out.
    const again = observeLease(seen, lease('10', 'pod-a_1'), 12_000, 15_000);
    expect(again.observedAt).toBe(1_000);
    expect(heldForMs(again, 'pod-b_2', 16_000)).toBe(0);
    // A renewal (a new version) starts it again.
    const renewed = observeLease(again, lease('11', 'pod-a_1'), 16_500, 15_000);
    expect(heldForMs(renewed, 'pod-b_2', 16_500)).toBe(15_000);
  });

  it('takes the duration the holder wrote, and treats a released or own Lease as free', () => {
    expect(observeLease(undefined, lease('3', 'pod-a_1', 4), 0, 15_000).leaseDurationMs).toBe(4_000);
    expect(heldForMs(observeLease(undefined, lease('4', ''), 0, 15_000), 'pod-b_2', 0)).toBe(0);
    expect(heldForMs(observeLease(undefined, lease('5', undefined), 0, 15_000), 'pod-b_2', 0)).toBe(0);
    expect(heldForMs(observeLease(undefined, lease('6', 'pod-b_2'), 0, 15_000), 'pod-b_2', 0)).toBe(0);
  });
});

describe('claimedSpec and releasedSpec', () => {
  const now = new Date('2026-01-01T00:00:10.123Z');

  it('renews: same acquireTime and transitions, a new renewTime', () => {
    const current = { holderIdentity: 'pod-a_1', acquireTime: new Date('2026-01-01T00:00:00Z'), leaseTransitions: 3, leaseDurationSeconds: 15 };
    const spec = claimedSpec(current, 'pod-a_1', 15_000, now);
    expect(spec).toMatchObject({ holderIdentity: 'pod-a_1', leaseDurationSeconds: 15, leaseTransitions: 3, acquireTime: current.acquireTime });
    expect(spec.renewTime?.getTime()).toBe(now.getTime());
  });

  it('takes over: counts a transition and starts a new acquireTime', () => {
    const spec = claimedSpec({ holderIdentity: 'pod-a_1', leaseTransitions: 3 }, 'pod-b_2', 2_500, now);
    expect(spec).toMatchObject({ holderIdentity: 'pod-b_2', leaseDurationSeconds: 3, leaseTransitions: 4 });
    expect(spec.acquireTime?.getTime()).toBe(now.getTime());
    expect(claimedSpec(undefined, 'pod-b_2', 15_000, now).leaseTransitions).toBe(0);
  });

  it('writes times with microseconds, as the Lease\u2019s MicroTime fields require', () => {
    expect(JSON.stringify(claimedSpec(undefined, 'pod-b_2', 15_000, now).renewTime)).toBe('"2026-01-01T00:00:10.123000Z"');
  });

  it('releases: no holder, and a one-second duration', () => {
    const spec = releasedSpec({ holderIdentity: 'pod-a_1', leaseTransitions: 3, leaseDurationSeconds: 15 }, now);
    expect(spec.holderIdentity).toBeUndefined();
    expect(spec).toMatchObject({ leaseDurationSeconds: 1, leaseTransitions: 3 });
  });
});
