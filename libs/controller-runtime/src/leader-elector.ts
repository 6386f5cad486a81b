// Leader election on a coordination.k8s.io/v1 Lease with client-go's semantics: a candidate takes the Lease when
// nobody holds it or the holder has not renewed it for leaseDuration (by the candidate's own clock); the leader
// renews every retryPeriod with the resourceVersion as precondition, and stops leading when it could not renew for
// renewDeadline (shorter than leaseDuration, so it stops before anyone else may start). A graceful stop gives the
// Lease up, so a standby takes over at its next try instead of after leaseDuration. One election per elector:
// after it stops leading it does not stand again (a restarted process does). Generic: nothing here knows about BDK.
import { ApiException, CoordinationV1Api, Observable, type ConfigurationOptions, type KubeConfig, type V1Lease, type V1LeaseSpec } from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import type { LeaderElectionMetrics } from './leader-election-metrics.js';
import { claimedSpec, heldForMs, observeLease, releasedSpec, type LeaseObservation } from './lease-record.js';
import type { RuntimeLogger } from './runtime-logger.js';

export interface LeaderElectorOptions {
  kubeConfig: KubeConfig;
  /** The Lease's namespace and name. */
  namespace: string;
  name: string;
  /** Unique per process: see leaderIdentity(). */
  identity: string;
  /** How long a Lease nobody renews keeps others waiting (whole seconds are written). Default 15 s. */
  leaseDurationMs?: number;
  /** How long the leader keeps trying to renew before it stops leading. Default 10 s. */
  renewDeadlineMs?: number;
  /** How often candidates try to take the Lease and the leader renews it. Default 2 s. */
  retryPeriodMs?: number;
  /** Give the Lease up on stop() (default); false leaves it to expire, as a crash would. */
  releaseOnStop?: boolean;
  logger: RuntimeLogger;
  /** Reports leader_election_master_status for the Lease's name. */
  metrics?: LeaderElectionMetrics;
  /** This process now holds the Lease. */
  onStartedLeading: () => void;
  /** This process held the Lease and no longer does: it could not renew it, or stop() was called. */
  onStoppedLeading?: () => void;
  /** The Lease names a holder other than the last one seen (this process included). */
  onNewLeader?: (identity: string) => void;
}

/** A holder identity as client-go's callers make them: the pod's name and a random suffix, unique per process. */
export function leaderIdentity(podName: string): string {
  return `${podName}_${randomUUID()}`;
}

export class LeaderElector {
  readonly identity: string;
  private readonly options: LeaderElectorOptions;
  private readonly api: CoordinationV1Api;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly stopping = new AbortController();
  private running: Promise<void> | undefined;
  private stopped = false;
  private leading = false;
  private observation: LeaseObservation | undefined;
  /** The Lease as this process last wrote it, while it holds it. */
  private held: V1Lease | undefined;
  private lastLeader: string | undefined;

  constructor(options: LeaderElectorOptions) {
    this.options = options;
    this.identity = options.identity;
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    if (!options.identity) throw new RangeError('leader election needs an identity');
    if (this.leaseDurationMs < 1_000 || this.leaseDurationMs <= this.renewDeadlineMs || this.renewDeadlineMs <= this.retryPeriodMs || this.retryPeriodMs <= 0) {
      throw new RangeError(
        `leader election needs leaseDuration (at least 1 s) > renewDeadline > retryPeriod > 0, got ${this.leaseDurationMs} ms, ${this.renewDeadlineMs} ms, ${this.retryPeriodMs} ms`,
      );
    }
    this.api = options.kubeConfig.makeApiClient(CoordinationV1Api);
    options.metrics?.leading(options.name, false);
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** Stands for election in the background; onStartedLeading is called once this process holds the Lease. */
  start(): void {
    if (this.running || this.stopped) return;
    this.running = this.run();
  }

  /** Stops standing or leading; a leader gives the Lease up first unless releaseOnStop is false. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.stopping.abort();
    await this.running;
    if (!this.leading) return;
    if (this.options.releaseOnStop ?? true) await this.release();
    this.stopLeading();
  }

  private async run(): Promise<void> {
    const lease = { lease: `${this.options.namespace}/${this.options.name}`, identity: this.identity };
    this.options.logger.info('standing for leader election', lease);
    let renewedAt = performance.now();
    while (!this.stopped) {
      renewedAt = performance.now();
      if (await this.tryAcquireOrRenew(this.renewDeadlineMs)) break;
      await this.sleep(this.nextTryInMs());
    }
    if (this.stopped) return;
    this.leading = true;
    this.options.metrics?.leading(this.options.name, true);
    this.options.logger.info('became leader', lease);
    this.callback('onStartedLeading', () => this.options.onStartedLeading());

    while (!this.stopped) {
      await this.sleep(this.retryPeriodMs);
      if (this.stopped) return;
      const attemptAt = performance.now();
      const leftMs = renewedAt + this.renewDeadlineMs - attemptAt;
      if (leftMs > 0 && (await this.tryAcquireOrRenew(leftMs))) {
        renewedAt = attemptAt;
        continue;
      }
      if (this.stopped) return;
      if (performance.now() - renewedAt >= this.renewDeadlineMs) break;
    }
    this.options.logger.warn('lost the lease: not renewed within the renew deadline', { ...lease, renewDeadlineMs: this.renewDeadlineMs });
    this.held = undefined;
    this.stopLeading();
  }

  /** One try; true when this process holds the Lease afterwards. Never throws. */
  private async tryAcquireOrRenew(timeoutMs: number): Promise<boolean> {
    const signal = AbortSignal.any([this.stopping.signal, AbortSignal.timeout(Math.max(1, Math.ceil(timeoutMs)))]);
    try {
      // The leader renews from the Lease as it last wrote it, without reading it first (as client-go does); if
      // someone else wrote it meanwhile the precondition fails and the slow path below judges what is there.
      if (this.leading && this.held) {
        try {
          return this.wrote(await this.replace(this.held, claimedSpec(this.held.spec, this.identity, this.leaseDurationMs, new Date()), signal));
        } catch (error) {
          if (signal.aborted || !isStatus(error, 409)) throw error;
        }
      }
      let current: V1Lease;
      try {
        current = await this.api.readNamespacedLease({ namespace: this.options.namespace, name: this.options.name }, abortingOn(signal));
      } catch (error) {
        if (!isStatus(error, 404)) throw error;
        const body: V1Lease = {
          metadata: { name: this.options.name, namespace: this.options.namespace },
          spec: claimedSpec(undefined, this.identity, this.leaseDurationMs, new Date()),
        };
        return this.wrote(await this.api.createNamespacedLease({ namespace: this.options.namespace, body }, abortingOn(signal)));
      }
      this.observe(current);
      if (this.observation && heldForMs(this.observation, this.identity, performance.now()) > 0) return false;
      return this.wrote(await this.replace(current, claimedSpec(current.spec, this.identity, this.leaseDurationMs, new Date()), signal));
    } catch (error) {
      // 409: another candidate wrote first (or the Lease appeared); the next try judges it.
      if (!this.stopped && !isStatus(error, 409)) {
        this.options.logger.warn('leader election: cannot reach the lease', { lease: `${this.options.namespace}/${this.options.name}`, error });
      }
      return false;
    }
  }

  private wrote(lease: V1Lease): true {
    if (lease.metadata) delete lease.metadata.managedFields;
    this.held = lease;
    this.observe(lease);
    return true;
  }

  private replace(lease: V1Lease, spec: V1LeaseSpec, signal: AbortSignal): Promise<V1Lease> {
    // metadata.resourceVersion makes the write conditional: a Lease changed since it was read answers 409.
    const body: V1Lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { ...lease.metadata, managedFields: undefined }, spec };
    return this.api.replaceNamespacedLease({ namespace: this.options.namespace, name: this.options.name, body }, abortingOn(signal));
  }

  private async release(): Promise<void> {
    const held = this.held;
    if (!held) return;
    const signal = AbortSignal.timeout(this.renewDeadlineMs);
    try {
      try {
        await this.replace(held, releasedSpec(held.spec, new Date()), signal);
      } catch (error) {
        // A renewal cut short by stop() may have been written all the same: release from the Lease as it is, if ours.
        if (!isStatus(error, 409)) throw error;
        const current = await this.api.readNamespacedLease({ namespace: this.options.namespace, name: this.options.name }, abortingOn(signal));
        if (current.spec?.holderIdentity !== this.identity) throw error;
        await this.replace(current, releasedSpec(current.spec, new Date()), signal);
      }
      this.options.logger.info('released the lease', { lease: `${this.options.namespace}/${this.options.name}`, identity: this.identity });
    } catch (error) {
      this.options.logger.warn('could not release the lease; another candidate takes over once it expires', { lease: `${this.options.namespace}/${this.options.name}`, error });
    }
    this.held = undefined;
  }

  private observe(lease: V1Lease): void {
    this.observation = observeLease(this.observation, lease, performance.now(), this.leaseDurationMs);
    const holder = this.observation.holder;
    if (holder === undefined || holder === this.lastLeader) return;
    this.lastLeader = holder;
    if (holder !== this.identity) this.options.logger.info('new leader', { lease: `${this.options.namespace}/${this.options.name}`, leader: holder });
    this.callback('onNewLeader', () => this.options.onNewLeader?.(holder));
  }

  /** The next try comes after retryPeriod, or as soon as the holder's time runs out when that is sooner. */
  private nextTryInMs(): number {
    const heldMs = this.observation ? heldForMs(this.observation, this.identity, performance.now()) : 0;
    return heldMs > 0 ? Math.min(this.retryPeriodMs, heldMs + 1) : this.retryPeriodMs;
  }

  private stopLeading(): void {
    if (!this.leading) return;
    this.leading = false;
    this.options.metrics?.leading(this.options.name, false);
    this.callback('onStoppedLeading', () => this.options.onStoppedLeading?.());
  }

  private callback(name: string, call: () => void): void {
    try {
      call();
    } catch (error) {
      this.options.logger.error('leader election callback failed', { callback: name, error });
    }
  }

  /** Waits `ms`, or less when stop() is called. */
  private sleep(ms: number): Promise<void> {
    const signal = this.stopping.signal;
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done);
    });
  }
}

function isStatus(error: unknown, code: number): boolean {
  return error instanceof ApiException && error.code === code;
}

/** Per-call options that end the request when `signal` aborts (client-node takes them as middleware). */
function abortingOn(signal: AbortSignal): ConfigurationOptions {
  return {
    middleware: [
      {
        pre: (context) => {
          context.setSignal(signal);
          return new Observable(Promise.resolve(context));
        },
        post: (response) => new Observable(Promise.resolve(response)),
      },
    ],
    middlewareMergeStrategy: 'append',
  };
}
