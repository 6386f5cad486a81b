// Everything a benchmark or tool run starts is stopped, in reverse order, whether the run ends, fails, times out or
// is interrupted.

export class Teardown {
  private readonly steps: { what: string; step: () => Promise<unknown> }[] = [];
  private running: Promise<void> | undefined;

  add(what: string, step: () => Promise<unknown>): void {
    this.steps.push({ what, step });
  }

  /** Runs every step once, the last added first; a failing step is reported and the rest still run. */
  run(): Promise<void> {
    this.running ??= (async () => {
      for (const { what, step } of this.steps.reverse()) {
        await step().catch((error: unknown) => console.error(`stopping ${what} failed:`, error instanceof Error ? error.message : error));
      }
    })();
    return this.running;
  }

  /** Ctrl-C and SIGTERM tear down and exit. */
  onSignals(): void {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        console.error(`\n${signal}: stopping everything that was started ...`);
        void this.run().finally(() => process.exit(130));
      });
    }
  }
}
