// A first-in first-out queue of tasks run `concurrency` at a time, as the controller's workers take keys: the
// plain client's requests in flight are bounded the same way.

export class WorkPool {
  private readonly tasks: (() => Promise<void>)[] = [];
  private active = 0;
  private failure: unknown;
  private idleWaiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  private reportFailure: (error: unknown) => void = () => undefined;
  /** Rejects with the first task's failure; never resolves. */
  readonly failed: Promise<never>;

  constructor(private readonly concurrency: number) {
    this.failed = new Promise<never>((_, reject) => (this.reportFailure = reject));
    // Whoever does not wait on it must not see an unhandled rejection.
    this.failed.catch(() => undefined);
  }

  add(task: () => Promise<void>): void {
    this.tasks.push(task);
    this.next();
  }

  /** Resolves once nothing is queued or running; rejects with the first task's failure. */
  idle(): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.active === 0 && this.tasks.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => this.idleWaiters.push({ resolve, reject }));
  }

  private next(): void {
    while (this.active < this.concurrency && this.tasks.length > 0 && this.failure === undefined) {
      const task = this.tasks.shift() as () => Promise<void>;
      this.active++;
      task().then(
        () => this.settle(),
        (error: unknown) => {
          if (this.failure === undefined) {
            this.failure = error;
            this.reportFailure(error);
          }
          this.settle();
        },
      );
    }
  }

  private settle(): void {
    this.active--;
    this.next();
    if (this.failure !== undefined) {
      for (const waiter of this.idleWaiters.splice(0)) waiter.reject(this.failure);
    } else if (this.active === 0 && this.tasks.length === 0) {
      for (const waiter of this.idleWaiters.splice(0)) waiter.resolve();
    }
  }
}

/** Runs `task` for every item, `concurrency` at a time; rejects with the first failure. */
export async function forEachConcurrently<T>(items: readonly T[], concurrency: number, task: (item: T, index: number) => Promise<void>): Promise<void> {
  const pool = new WorkPool(concurrency);
  items.forEach((item, index) => pool.add(() => task(item, index)));
  await pool.idle();
}
