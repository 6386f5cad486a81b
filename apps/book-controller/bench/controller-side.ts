// The built controller as its own process (dist/apps/book-controller, as in the cluster tests), and what the
// benchmark reads of it: when every instance reports Ready=True for its current generation (from a watch of the
// instances), how many reconciles it has run (its own /metrics), and its memory and CPU (/proc).
import type { BookInstanceDefinition } from '@bdk/k8s';
import { startApp, type RunningApp } from './harness.js';
import type { KubeConfig } from '@kubernetes/client-node';
import { readCpuSeconds, readMemory, type MemoryUsage } from './process-usage.js';
import { followObjects } from './watch-objects.js';

export interface RunningController {
  app: RunningApp;
  pid: number;
  memory(): Promise<MemoryUsage>;
  cpuSeconds(): Promise<number>;
  /** Reconciles run so far, whatever their outcome (bdk_controller_reconcile_total). */
  reconciles(): Promise<number>;
  stop(): Promise<void>;
}

export async function startController(env: Record<string, string>): Promise<RunningController> {
  const app = await startApp('book-controller', env);
  const pid = app.process.pid;
  return {
    app,
    pid,
    memory: () => readMemory(pid),
    cpuSeconds: () => readCpuSeconds(pid),
    async reconciles() {
      const response = await fetch(`http://127.0.0.1:${app.adminPort}/metrics`, { signal: AbortSignal.timeout(5_000) });
      const text = await response.text();
      let total = 0;
      for (const line of text.split('\n')) if (line.startsWith('bdk_controller_reconcile_total{')) total += Number(line.slice(line.lastIndexOf(' ') + 1));
      return total;
    },
    async stop() {
      await app.stop();
    },
  };
}

const readyNow = (instance: BookInstanceDefinition) =>
  instance.status?.observedGeneration === instance.metadata.generation &&
  instance.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

/**
 * Follows the instances of `namespace` named in `names`; `done` resolves with the time (performance.now()) each
 * first reported Ready, once every one has.
 */
export async function followReadiness(kubeConfig: KubeConfig, namespace: string, names: readonly string[]) {
  const waiting = new Set(names);
  const readyAt = new Map<string, number>();
  let finish: () => void = () => undefined;
  const all = new Promise<void>((resolve) => (finish = resolve));
  const following = await followObjects<BookInstanceDefinition>(kubeConfig, `/apis/bdk.voyager.io/v1/namespaces/${namespace}/bookinstancedefinitions`, undefined, (instance, type) => {
    const name = instance.metadata.name ?? '';
    if (type === 'DELETED' || !waiting.has(name) || !readyNow(instance)) return;
    waiting.delete(name);
    readyAt.set(name, performance.now());
    if (waiting.size === 0) finish();
  });
  return {
    /** Instances not Ready yet. */
    get waiting() {
      return waiting.size;
    },
    async done(timeoutMs: number): Promise<Map<string, number>> {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${waiting.size} instances still not Ready after ${timeoutMs / 1000} s`)), timeoutMs);
      });
      try {
        await Promise.race([all, timeout]);
        return readyAt;
      } finally {
        clearTimeout(timer);
        following.stop();
      }
    },
    stop: () => following.stop(),
  };
}
