// What a kubelet does for a container, for the local stack's processes: one that exits without being asked to is
// started again, after a delay that doubles with each crash in a row (CrashLoopBackOff), and that delay starts over
// once the process has stayed up a while.
import type { ManagedProcess } from '@bdk/testing';

/** Something started as one process: an app, an Envoy, a nats-server. */
export interface Startable {
  readonly process: ManagedProcess;
  stop(): Promise<unknown>;
}

export interface BackoffPolicy {
  /** Delay before the first restart after a crash. */
  initialMs: number;
  /** The delay doubles with each crash in a row, up to this. */
  maxMs: number;
  /** A process up at least this long counts as healthy: its next crash waits initialMs again. */
  resetAfterMs: number;
}

/** The kubelet's restart backoff, shortened for a laptop: 1 s doubling to 30 s, reset after a minute up. */
export const defaultBackoff: BackoffPolicy = { initialMs: 1_000, maxMs: 30_000, resetAfterMs: 60_000 };

export interface SupervisorOptions<T extends Startable> {
  /** How the process is named in the log. */
  name: string;
  /** Starts it and resolves once it is ready; called again for each restart. */
  start: () => Promise<T>;
  log: (line: string) => void;
  /** Called after every successful start, the first one included (e.g. to write a pid file). */
  onStarted?: (started: T) => void | Promise<void>;
  backoff?: BackoffPolicy;
  /** Lines of the crashed process's output to log with its restart. */
  outputLines?: number;
}

export interface Supervised<T extends Startable> {
  /** The running instance (the latest start). */
  readonly current: T;
  /** Restarts so far. */
  readonly restarts: number;
  /** Stops it for good: no restart follows, a pending one is cancelled. Idempotent. */
  stop(): Promise<void>;
}

function lastLines(text: string, count: number): string {
  return text.split('\n').slice(-count).map((line) => `    ${line}`).join('\n');
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/**
 * Starts `start()` once (its failure is the caller's: the stack cannot come up) and from then on restarts it
 * whenever it exits on its own, logging the exit code and the last lines it printed with each restart. A restart
 * that fails to start counts as another crash and is retried after a longer delay.
 */
export async function supervise<T extends Startable>(options: SupervisorOptions<T>): Promise<Supervised<T>> {
  const backoff = options.backoff ?? defaultBackoff;
  const keepLines = options.outputLines ?? 20;
  let current = await options.start();
  await options.onStarted?.(current);
  let startedAt = Date.now();
  let restarts = 0;
  let delayMs = backoff.initialMs;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let restarting: Promise<void> = Promise.resolve();

  const nextDelay = (): number => {
    const delay = delayMs;
    delayMs = Math.min(delayMs * 2, backoff.maxMs);
    return delay;
  };

  const scheduleRestart = (delay: number) => {
    timer = setTimeout(() => {
      timer = undefined;
      restarting = restart();
    }, delay);
  };

  const restart = async (): Promise<void> => {
    if (stopped) return;
    try {
      const started = await options.start();
      if (stopped) {
        await started.stop();
        return;
      }
      current = started;
      startedAt = Date.now();
      restarts += 1;
      await options.onStarted?.(current);
      options.log(`${options.name} restarted (pid ${current.process.pid}, restart ${restarts})`);
      watch(current);
    } catch (error) {
      if (stopped) return;
      const delay = nextDelay();
      const reason = error instanceof Error ? error.message : String(error);
      options.log(`${options.name} could not be restarted; trying again in ${seconds(delay)}:\n${lastLines(reason, keepLines)}`);
      scheduleRestart(delay);
    }
  };

  const watch = (instance: T) => {
    void instance.process.exited.then((code) => {
      if (stopped || instance !== current) return;
      const upMs = Date.now() - startedAt;
      if (upMs >= backoff.resetAfterMs) delayMs = backoff.initialMs;
      const delay = nextDelay();
      const how = code === null ? 'was killed by a signal (no exit code)' : `exited with code ${code}`;
      options.log(
        `${options.name} (pid ${instance.process.pid}) ${how} after ${seconds(upMs)}; restarting in ${seconds(delay)}. Its last lines:\n` +
          lastLines(instance.process.output(), keepLines),
      );
      scheduleRestart(delay);
    });
  };
  watch(current);

  return {
    get current() {
      return current;
    },
    get restarts() {
      return restarts;
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await restarting;
      await current.stop();
    },
  };
}
