// The controller-runtime loop: N workers take keys from a WorkQueue and reconcile them. A reconcile receives only
// the key; it returns (optionally asking to look again later) or throws, and a throw retries the key with backoff.
// Generic: nothing here knows about BDK.
import type { RuntimeLogger } from './runtime-logger.js';
import { WorkQueue } from './work-queue.js';

export interface ReconcileResult {
  /** Look at the key again after this long even if nothing changes (e.g. waiting for something outside the cache). */
  requeueAfterMs?: number;
}

export type Reconciler = (key: string) => Promise<ReconcileResult | undefined>;

export interface ControllerOptions {
  name: string;
  reconcile: Reconciler;
  logger: RuntimeLogger;
  /** Keys reconciled in parallel (never the same key twice at once). */
  workers?: number;
  /** The queue the workers take keys from; by default one named after the controller, without metrics. */
  queue?: WorkQueue;
  /** Called after every reconcile, for metrics. */
  observe?: (outcome: 'success' | 'requeue' | 'error', seconds: number) => void;
}

export class Controller {
  readonly queue: WorkQueue;
  private readonly options: ControllerOptions;
  private running: Promise<void>[] = [];

  constructor(options: ControllerOptions) {
    this.options = options;
    this.queue = options.queue ?? new WorkQueue({ name: options.name });
  }

  /** Queues a key for reconciliation (de-duplicated). */
  enqueue(key: string): void {
    this.queue.add(key);
  }

  start(): void {
    if (this.running.length > 0) return;
    const workers = this.options.workers ?? 2;
    this.running = Array.from({ length: workers }, () => this.work());
    this.options.logger.info('controller started', { controller: this.options.name, workers });
  }

  /** Stops handing out keys and waits for the reconciles under way to finish. */
  async stop(): Promise<void> {
    this.queue.shutDown();
    await Promise.all(this.running);
    this.running = [];
    this.options.logger.info('controller stopped', { controller: this.options.name });
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      const started = process.hrtime.bigint();
      const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
      try {
        const result = await this.options.reconcile(key);
        this.queue.forget(key);
        if (result?.requeueAfterMs !== undefined) {
          this.queue.addAfter(key, result.requeueAfterMs);
          this.options.observe?.('requeue', seconds());
        } else {
          this.options.observe?.('success', seconds());
        }
      } catch (error) {
        const retryInMs = this.queue.addRateLimited(key);
        this.options.observe?.('error', seconds());
        this.options.logger.warn('reconcile failed, will retry', {
          controller: this.options.name,
          key,
          retryInMs,
          failures: this.queue.failureCount(key),
          error,
        });
      } finally {
        this.queue.done(key);
      }
    }
  }
}
