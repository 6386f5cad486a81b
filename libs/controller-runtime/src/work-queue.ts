// A de-duplicating, rate-limited work queue of object keys, after client-go's workqueue: a key waits in the
// queue at most once however many events name it, is never handed to two workers at the same time, and a key
// that fails comes back after the longer of two waits (client-go's default controller rate limiter): its own
// exponential backoff, and a token from a bucket shared by every key, so that many keys failing at once (the
// apiserver briefly down) are retried at a bounded overall rate. Generic: nothing here knows about BDK.
import { TokenBucket } from './token-bucket.js';
import type { WorkQueueMetrics, WorkQueueRecorder } from './work-queue-metrics.js';

export interface WorkQueueOptions {
  /** The `name` label of the queue's metrics. */
  name?: string;
  /** Backoff of a key's first failure; each further failure doubles it. */
  baseDelayMs?: number;
  /** Ceiling of the per-key backoff. */
  maxDelayMs?: number;
  /** Retries per second across all keys, once the burst is spent (client-go: 10). */
  qps?: number;
  /** Retries that may go at once before `qps` applies (client-go: 100). */
  burst?: number;
  /** Where the queue reports workqueue_* metrics; none when left out. */
  metrics?: WorkQueueMetrics;
}

const noRecorder: WorkQueueRecorder = { added() {}, retried() {}, queued() {}, worked() {} };
const seconds = (fromMs: number, toMs: number) => (toMs - fromMs) / 1000;

export class WorkQueue<K = string> {
  readonly name: string;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly bucket: TokenBucket;
  private readonly recorder: WorkQueueRecorder;
  /** Keys ready to be handed out, in order. */
  private readonly queue: K[] = [];
  /** Keys that need processing: queued, or marked again while a worker holds them. */
  private readonly dirty = new Set<K>();
  /** Keys a worker holds between get() and done(), with when it got them. */
  private readonly processing = new Map<K, number>();
  /** When each dirty key was first added, for the time it waited. */
  private readonly addedAt = new Map<K, number>();
  /** Keys waiting for a delay, with when they become ready. */
  private readonly delayed = new Map<K, { at: number; timer: NodeJS.Timeout }>();
  private readonly failures = new Map<K, number>();
  private readonly waiters: ((key: K | undefined) => void)[] = [];
  private shuttingDown = false;

  constructor(options: WorkQueueOptions = {}) {
    this.name = options.name ?? 'default';
    this.baseDelayMs = options.baseDelayMs ?? 100;
    this.maxDelayMs = options.maxDelayMs ?? 5 * 60_000;
    this.bucket = new TokenBucket(options.qps ?? 10, options.burst ?? 100);
    this.recorder =
      options.metrics?.forQueue(this.name, {
        depth: () => this.dirty.size,
        unfinishedWorkSeconds: () => {
          const now = performance.now();
          let total = 0;
          for (const since of this.processing.values()) total += seconds(since, now);
          return total;
        },
        longestRunningProcessorSeconds: () => {
          const now = performance.now();
          let longest = 0;
          for (const since of this.processing.values()) longest = Math.max(longest, seconds(since, now));
          return longest;
        },
      }) ?? noRecorder;
  }

  /** Marks `key` as needing work. A no-op when it is already queued; deferred when a worker holds it. */
  add(key: K): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.recorder.added();
    this.dirty.add(key);
    this.addedAt.set(key, performance.now());
    if (this.processing.has(key)) return; // done() queues it again
    this.push(key);
  }

  /** add(key) once `delayMs` has passed; of several pending delays for one key the earliest wins. */
  addAfter(key: K, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = Date.now() + delayMs;
    const pending = this.delayed.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.delayed.set(key, { at, timer });
  }

  /**
   * add(key) after the longer of the key's next backoff step (base × 2^(failures so far), capped) and the wait
   * for a token of the shared bucket. Returns that delay in milliseconds.
   */
  addRateLimited(key: K): number {
    const failures = this.failures.get(key) ?? 0;
    this.failures.set(key, failures + 1);
    this.recorder.retried();
    const delay = Math.max(Math.min(this.baseDelayMs * 2 ** failures, this.maxDelayMs), this.bucket.reserve());
    this.addAfter(key, delay);
    return delay;
  }

  /** The key succeeded: its next failure starts the backoff from the beginning. */
  forget(key: K): void {
    this.failures.delete(key);
  }

  /** How many times in a row the key has failed. */
  failureCount(key: K): number {
    return this.failures.get(key) ?? 0;
  }

  /**
   * The next key to work on, held until done(key); undefined once the queue shuts down. The caller must call
   * done() for every key it receives.
   */
  get(): Promise<K | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    const key = this.queue.shift();
    if (key !== undefined) return Promise.resolve(this.hold(key));
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The worker is finished with `key`; if it was marked again meanwhile, it goes back in the queue. */
  done(key: K): void {
    const since = this.processing.get(key);
    if (since !== undefined) this.recorder.worked(seconds(since, performance.now()));
    this.processing.delete(key);
    if (this.dirty.has(key) && !this.shuttingDown) this.push(key);
  }

  /** Keys waiting to be handed out (not counting delayed ones). */
  get length(): number {
    return this.queue.length;
  }

  /** Stops handing out keys: waiting get() calls resolve undefined, delayed adds are dropped. */
  shutDown(): void {
    this.shuttingDown = true;
    for (const { timer } of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    this.queue.length = 0;
    this.dirty.clear();
    this.addedAt.clear();
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
  }

  private push(key: K): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(this.hold(key));
    else this.queue.push(key);
  }

  private hold(key: K): K {
    const now = performance.now();
    const addedAt = this.addedAt.get(key);
    if (addedAt !== undefined) this.recorder.queued(seconds(addedAt, now));
    this.addedAt.delete(key);
    this.dirty.delete(key);
    this.processing.set(key, now);
    return key;
  }
}
