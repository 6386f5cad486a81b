// The book controller at scale, against a real local cluster (etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler, kwok's fake Nodes), in one run:
//   1. the baseline: a plain client making the writes the controller makes for N new instances, the same number in
//      flight as the controller's workers, waiting for their Deployments' Pods as the controller does (plain-client);
//   2. the built controller given N new instances, timed from its start until every instance is Ready=True;
//   3. a resync with nothing changed: the controller restarted (its caches list everything again and every instance
//      is reconciled once more), and the writes that makes, counted by the apiserver itself.
// Both sides start from the same state: N customer namespaces, each with a new instance and its credentials Secret,
// as BDK's API leaves them (instance-inputs); the baseline's instances and everything written for them are deleted,
// and gone, before the controller's are created in the same namespaces.
// Prints N, both times and their ratio (target ≤ 1.2), the controller's peak and final RSS (target < 250 MB) and
// the resync's writes (target 0). Writes and reads are the apiserver's own counts (apiserver-requests); RSS is the
// kernel's (/proc/<pid>/status). With --repeat-baseline=true the plain client runs again after the controller.
//
// Run: npx nx run book-controller:bench [--args="--instances=1000 --workers=8 --repeat-baseline=true --profile=<dir>"]
import { bdkResources } from '@bdk/k8s';
import { CoreV1Api } from '@kubernetes/client-node';
import { mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { readControllerConfig } from '../src/config.js';
import { readWorkloadPolicy } from '../src/instance/workload-policy.js';
import { seedBook } from '../test/fixtures.js';
import { startKubeEnv, Teardown, type KubeEnv } from './harness.js';
import { formatWrites, readRequestCounts, writesBetween, type WriteSummary } from './apiserver-requests.js';
import { parseBenchOptions, type BenchOptions } from './bench-options.js';
import { followReadiness, startController, type RunningController } from './controller-side.js';
import { createInstances, createNamespaces, deleteInstances } from './instance-inputs.js';
import { plainClientWritesPerInstance, runPlainClient } from './plain-client.js';
import type { MemoryUsage } from './process-usage.js';

const bdkNamespace = 'bdk';
const log = (line: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);
const since = (start: number) => (performance.now() - start) / 1000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface SideResult {
  seconds: number;
  writes: WriteSummary;
  /** CPU seconds of the process that did the work (the plain client's: this one). */
  cpuSeconds: number;
}

interface ControllerResult extends SideResult {
  startSeconds: number;
  reconciles: number;
  memory: MemoryUsage;
}

interface ResyncResult {
  seconds: number;
  reconciles: number;
  writes: WriteSummary;
  memory: MemoryUsage;
}

/** Fake Nodes with room for every Pod (two per instance) and then some; the example instance asks 500m and 1Gi each. */
function nodeShape(instances: number) {
  const podsPerNode = 500;
  return { count: Math.max(4, Math.ceil((instances * 2 * 1.25) / podsPerNode)), cpu: '1000', memory: '4Ti', pods: podsPerNode };
}

async function run(options: BenchOptions, teardown: Teardown): Promise<void> {
  const n = options.instances;
  // Generous bounds per phase, so a stuck phase says which it was long before the overall timeout.
  const phaseTimeoutMs = Math.max(120, n * 0.6) * 1000;
  if (options.profileDir) await mkdir(options.profileDir, { recursive: true });

  log(`starting the cluster (${nodeShape(n).count} fake nodes) ...`);
  const env: KubeEnv = await startKubeEnv({ workloads: { nodes: nodeShape(n) } });
  teardown.add('the cluster', () => env.stop());
  const kubeConfig = env.kubeConfig;
  const resources = bdkResources(kubeConfig);
  await kubeConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: bdkNamespace } } });
  const book = await resources.books.create(bdkNamespace, seedBook(bdkNamespace, randomUUID()));

  const controllerEnv: Record<string, string> = {
    KUBECONFIG: env.kubeconfigPath,
    BDK_NAMESPACE: bdkNamespace,
    BDK_LEADER_ELECTION: 'false',
    BDK_CONTROLLER_WORKERS: String(options.workers),
  };
  const config = readControllerConfig(controllerEnv);
  const policy = readWorkloadPolicy(controllerEnv, { bdkNamespace, bookPort: config.bookPort });
  const inputs = { kubeConfig, resources, bdkNamespace, book, count: n, concurrency: 16 };
  let start = performance.now();
  await createNamespaces(kubeConfig, n, inputs.concurrency);
  log(`${n} customer namespaces created and set up in ${since(start).toFixed(1)} s`);

  /** The plain client on N new instances; `cleanUp` deletes them and all written for them afterwards. */
  async function runBaseline(cleanUp: boolean): Promise<SideResult> {
    let start = performance.now();
    const instances = await createInstances(inputs);
    log(`baseline: ${n} instances and Secrets created in ${since(start).toFixed(1)} s; the plain client writes ...`);
    const before = await readRequestCounts(kubeConfig);
    const cpuBefore = process.cpuUsage();
    const result = await runPlainClient({ kubeConfig, resources, book, instances, config, policy, concurrency: options.workers, timeoutMs: phaseTimeoutMs, log });
    const cpu = process.cpuUsage(cpuBefore);
    const side = { seconds: result.seconds, writes: writesBetween(before, await readRequestCounts(kubeConfig)), cpuSeconds: (cpu.user + cpu.system) / 1e6 };
    log(`baseline: ${result.seconds.toFixed(1)} s; ${formatWrites(side.writes.controllerKinds)}`);
    if (cleanUp) {
      start = performance.now();
      await deleteInstances({ ...inputs, timeoutMs: phaseTimeoutMs });
      log(`baseline: instances and all written for them deleted, their Pods gone, in ${since(start).toFixed(1)} s`);
    }
    return side;
  }

  const baselines: SideResult[] = [];
  if (options.only !== 'controller') baselines.push(await runBaseline(options.only !== 'baseline'));

  let controller: ControllerResult | undefined;
  let resync: ResyncResult | undefined;
  if (options.only !== 'baseline') {
    start = performance.now();
    const instances = await createInstances(inputs);
    log(`controller: ${n} instances and Secrets created in ${since(start).toFixed(1)} s; starting the controller ...`);
    const readiness = await followReadiness(
      kubeConfig,
      bdkNamespace,
      instances.map(({ instance }) => instance.metadata.name ?? ''),
    );
    const before = await readRequestCounts(kubeConfig);
    const profiling = options.profileDir ? `--cpu-prof --diagnostic-dir=${options.profileDir} --heapsnapshot-signal=SIGUSR2` : '';
    start = performance.now();
    let first: RunningController | undefined = await startController({ ...controllerEnv, NODE_OPTIONS: `${options.nodeOptions} ${profiling}`.trim() });
    teardown.add('the controller', async () => first?.stop());
    const startSeconds = since(start);
    log(`controller: serving after ${startSeconds.toFixed(1)} s (pid ${first.pid}); waiting for every instance to be Ready ...`);
    const progress = setInterval(() => void first?.memory().then((m) => log(`controller: ${n - readiness.waiting}/${n} Ready, RSS ${m.rssMb.toFixed(0)} MB`), () => undefined), 10_000);
    try {
      await readiness.done(phaseTimeoutMs);
    } finally {
      clearInterval(progress);
    }
    const seconds = since(start);
    const writes = writesBetween(before, await readRequestCounts(kubeConfig));
    const cpuSeconds = await first.cpuSeconds();
    const convergenceReconciles = await first.reconciles();
    // Settled: the last reconciles of the last instances (their own status writes coming back) are done.
    await sleep(5_000);
    const memory = await first.memory();
    controller = { seconds, startSeconds, reconciles: convergenceReconciles, writes, memory, cpuSeconds };
    log(`controller: ${seconds.toFixed(1)} s; RSS peak ${memory.peakRssMb.toFixed(0)} MB, now ${memory.rssMb.toFixed(0)} MB; ${formatWrites(writes.controllerKinds)}`);
    if (options.profileDir) await takeHeapSnapshot(first, options.profileDir);

    log('resync: restarting the controller with nothing changed ...');
    await first.stop();
    first = undefined;
    const beforeResync = await readRequestCounts(kubeConfig);
    start = performance.now();
    let second: RunningController | undefined = await startController({ ...controllerEnv, NODE_OPTIONS: options.nodeOptions });
    teardown.add('the restarted controller', async () => second?.stop());
    // Every instance is reconciled once after the caches' first list; done when that many ran and no more follow.
    let reconciles = 0;
    let quietSince = performance.now();
    const deadline = performance.now() + phaseTimeoutMs;
    for (;;) {
      const now = await second.reconciles();
      if (now !== reconciles) quietSince = performance.now();
      reconciles = now;
      if (reconciles >= n && performance.now() - quietSince > 5_000) break;
      if (performance.now() > deadline) throw new Error(`resync: ${reconciles} of ${n} reconciles after ${phaseTimeoutMs / 1000} s`);
      await sleep(250);
    }
    const resyncSeconds = (quietSince - start) / 1000;
    resync = { seconds: resyncSeconds, reconciles, writes: writesBetween(beforeResync, await readRequestCounts(kubeConfig)), memory: await second.memory() };
    await second.stop();
    second = undefined;
  }

  if (options.repeatBaseline && options.only === undefined) {
    // The same plain client once more after the controller: on a shared machine the load moves over a long run,
    // and a baseline on each side of the controller shows by how much.
    start = performance.now();
    await deleteInstances({ ...inputs, timeoutMs: phaseTimeoutMs });
    log(`controller: instances and all written for them deleted, their Pods gone, in ${since(start).toFixed(1)} s`);
    baselines.push(await runBaseline(false));
  }

  console.log(`\n${summary(options, baselines, controller, resync)}\n`);
}

/** Sends the controller SIGUSR2 (--heapsnapshot-signal) and waits until the snapshot file stops growing. */
async function takeHeapSnapshot(controller: RunningController, dir: string): Promise<void> {
  const existing = new Set(await readdir(dir));
  process.kill(controller.pid, 'SIGUSR2');
  let size = -1;
  for (let i = 0; i < 240; i++) {
    await sleep(1_000);
    const file = (await readdir(dir)).find((f) => f.endsWith('.heapsnapshot') && !existing.has(f));
    if (!file) continue;
    const now = (await stat(path.join(dir, file))).size;
    if (now > 0 && now === size) {
      log(`heap snapshot: ${path.join(dir, file)} (${(now / 1e6).toFixed(0)} MB)`);
      return;
    }
    size = now;
  }
  log('heap snapshot: none written within 4 minutes');
}

function summary(options: BenchOptions, baselines: readonly SideResult[], controller: ControllerResult | undefined, resync: ResyncResult | undefined): string {
  const n = options.instances;
  const [baseline, after] = baselines;
  const perInstance = (writes: WriteSummary) => (writes.controllerTotal / n).toFixed(1);
  const lines = [
    `book-controller at scale: ${n} instances, ${options.workers} workers (the plain client: ${options.workers} in flight), controller NODE_OPTIONS "${options.nodeOptions}"`,
  ];
  if (baseline) {
    lines.push(
      `  baseline (plain client)   ${baseline.seconds.toFixed(1).padStart(7)} s   ${baseline.writes.controllerTotal} writes (${perInstance(baseline.writes)} per instance; ${plainClientWritesPerInstance} its own, the rest core Events of kube-controller-manager), ${baseline.cpuSeconds.toFixed(1)} CPU s`,
    );
  }
  if (controller) {
    lines.push(
      `  controller                ${controller.seconds.toFixed(1).padStart(7)} s   ${controller.writes.controllerTotal} writes (${perInstance(controller.writes)} per instance), ${controller.startSeconds.toFixed(1)} s of it starting, ${controller.cpuSeconds.toFixed(1)} CPU s, ${controller.reconciles} reconciles`,
    );
  }
  if (after) {
    lines.push(
      `  baseline, after it        ${after.seconds.toFixed(1).padStart(7)} s   ${after.writes.controllerTotal} writes, ${after.cpuSeconds.toFixed(1)} CPU s (the ratio is to the mean of both)`,
    );
  }
  if (baseline && controller) {
    const baselineSeconds = after ? (baseline.seconds + after.seconds) / 2 : baseline.seconds;
    lines.push(`  ratio controller/baseline ${(controller.seconds / baselineSeconds).toFixed(2).padStart(7)}     (target ≤ 1.2)`);
  }
  if (controller) {
    lines.push(`  controller RSS            peak ${controller.memory.peakRssMb.toFixed(0)} MB, final ${controller.memory.rssMb.toFixed(0)} MB with ${n} instances Ready (target < 250 MB)`);
  }
  if (resync) {
    lines.push(
      `  resync (restart, nothing changed): ${resync.reconciles} reconciles in ${resync.seconds.toFixed(1)} s, ${resync.writes.controllerTotal} writes (target 0)${resync.writes.controllerTotal > 0 ? `: ${formatWrites(resync.writes.controllerKinds)}` : ''}; restarted controller RSS peak ${resync.memory.peakRssMb.toFixed(0)} MB, final ${resync.memory.rssMb.toFixed(0)} MB`,
    );
  }
  if (baseline) lines.push(`  baseline writes:   ${formatWrites(baseline.writes.controllerKinds)}; reads: ${formatWrites(baseline.writes.reads) || 'none'}`);
  if (controller) lines.push(`  controller writes: ${formatWrites(controller.writes.controllerKinds)}; reads: ${formatWrites(controller.writes.reads) || 'none'}`);
  if (resync && resync.writes.readTotal > 0) lines.push(`  resync reads:      ${formatWrites(resync.writes.reads)}`);
  return lines.join('\n');
}

let options: BenchOptions;
try {
  options = parseBenchOptions(process.argv.slice(2));
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(2);
}
const teardown = new Teardown();
teardown.onSignals();
let code = 0;
const overall = setTimeout(() => {
  console.error(`the benchmark did not finish within ${options.timeoutSeconds} s: stopping everything it started ...`);
  void teardown.run().finally(() => process.exit(1));
}, options.timeoutSeconds * 1000);
try {
  await run(options, teardown);
} catch (error) {
  console.error('the benchmark failed:', error instanceof Error ? (error.stack ?? error.message) : error);
  code = 1;
}
clearTimeout(overall);
log('stopping everything it started ...');
await teardown.run();
process.exit(code);
