// The decisions of leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection makes them,
// kept apart from the API calls so they can be checked on their own. Expiry is judged by the candidate's own clock
// from when it saw the Lease change, never from the renewTime another machine wrote (clocks differ).
import { V1MicroTime, type V1Lease, type V1LeaseSpec } from '@kubernetes/client-node';

/** What a candidate knows of the Lease: the version it last read and when (its own monotonic clock, ms). */
export interface LeaseObservation {
  resourceVersion: string;
  holder: string | undefined;
  leaseDurationMs: number;
  observedAt: number;
}

/**
 * The observation after reading `lease` at `now`: a new one when the Lease changed (any renewal changes its
 * resourceVersion), else the previous one, so the time a holder has left keeps running out.
 */
export function observeLease(previous: LeaseObservation | undefined, lease: V1Lease, now: number, defaultDurationMs: number): LeaseObservation {
  const resourceVersion = lease.metadata?.resourceVersion ?? '';
  if (previous && previous.resourceVersion === resourceVersion) return previous;
  const seconds = lease.spec?.leaseDurationSeconds;
  return {
    resourceVersion,
    holder: lease.spec?.holderIdentity || undefined,
    leaseDurationMs: seconds && seconds > 0 ? seconds * 1000 : defaultDurationMs,
    observedAt: now,
  };
}

/** Milliseconds until another holder's claim runs out (0: it has, or nobody holds the Lease). */
export function heldForMs(observation: LeaseObservation, identity: string, now: number): number {
  if (observation.holder === undefined || observation.holder === identity) return 0;
  return Math.max(0, observation.observedAt + observation.leaseDurationMs - now);
}

/** The Lease's spec with `identity` holding it from `now`: renewed when it held it already, else taken over. */
export function claimedSpec(current: V1LeaseSpec | undefined, identity: string, leaseDurationMs: number, now: Date): V1LeaseSpec {
  const renewing = current?.holderIdentity === identity;
  const time = new V1MicroTime(now.getTime());
  return {
    ...current,
    holderIdentity: identity,
    leaseDurationSeconds: Math.ceil(leaseDurationMs / 1000),
    renewTime: time,
    acquireTime: renewing && current?.acquireTime ? current.acquireTime : time,
    leaseTransitions: renewing ? (current?.leaseTransitions ?? 0) : (current?.leaseTransitions ?? -1) + 1,
  };
}

/**
 * The spec of a Lease given up on a graceful stop: no holder, and a one-second duration for readers that look at
 * it, so a standby takes over at its next try instead of waiting out the lease.
 */
export function releasedSpec(current: V1LeaseSpec | undefined, now: Date): V1LeaseSpec {
  const time = new V1MicroTime(now.getTime());
  return { ...current, holderIdentity: undefined, leaseDurationSeconds: 1, renewTime: time, acquireTime: time };
}
