// Webhook ingest benchmark: in one run, on this machine, the peak rate of signed webhooks BDK accepts through its
// gateway (gateway Envoy → router's Envoy sidecar → webhook-router, which records each durably and makes the first
// attempt through the book controller to the book) against the peak rate of a bare Envoy in front of a minimal
// Node HTTP server, loaded by the same generator with the same requests; then BDK's latency at half its peak on a
// fixed arrival schedule; then whether every webhook BDK answered 2xx for reached the book.
//
// Run: npx nx run e2e:bench [--args="--duration=15 --concurrency=32 --open-duration=15 --profile=<dir>"]
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseBenchOptions, type BenchOptions } from './bench-options.js';
import { startBaseline } from './baseline-side.js';
import { startBdk } from './bdk-side.js';
import { DeliveryLedger } from './delivery-ledger.js';
import { helperToServe, serveHelper, startHelper } from './helper-process.js';
import { createPoster } from './http-poster.js';
import { closedLoop, openLoop, peakRate, type PhaseResult } from './load-generator.js';
import { measureCpu, processTree } from './process-cpu.js';
import { formatSummary } from './summary.js';
import { Teardown } from '@bdk/testing';
import { signedWebhooks } from './webhook-requests.js';

const log = (line: string) => console.log(`[bench] ${line}`);

async function run(options: BenchOptions, teardown: Teardown): Promise<void> {
  if (options.profileDir) await mkdir(options.profileDir, { recursive: true });
  const book = await startHelper('book-endpoint');
  teardown.add('the book endpoint', () => book.stop());
  const baseline = await startBaseline();
  teardown.add('the baseline', () => baseline.stop());
  const bdk = await startBdk({ bookPort: book.port, log, ...(options.profileDir ? { profileDir: options.profileDir } : {}) });
  teardown.add('the local stack', () => bdk.stop());

  const ledger = new DeliveryLedger();
  const bdkPhases: PhaseResult[] = [];
  const seconds = (s: number) => s * 1_000;

  // One webhook first: a misconfigured stack fails here, not after minutes of load.
  const smokePoster = createPoster(bdk.url, 1);
  const { headers, body } = signedWebhooks(bdk.secret, options.bodyBytes)();
  const smoke = await smokePoster.post(headers, body).finally(() => smokePoster.close());
  ledger.record(smoke);
  if (smoke.status < 200 || smoke.status >= 300) throw new Error(`the first webhook was answered ${smoke.status}: ${smoke.body}`);

  log(`baseline: ${options.warmupSeconds} s warm-up, then ${options.durationSeconds} s with ${options.concurrency} senders ...`);
  const baselinePoster = createPoster(baseline.url, options.concurrency);
  const baselineRequests = signedWebhooks(bdk.secret, options.bodyBytes);
  await closedLoop({ poster: baselinePoster, next: baselineRequests, concurrency: options.concurrency, durationMs: seconds(options.warmupSeconds) });
  const baselineProcesses = new Map(Object.entries(baseline.processIds).map(([name, pid]) => [pid, name]));
  const { result: baselineResult, cpuMs: baselineCpu } = await measureCpu(baselineProcesses, () =>
    closedLoop({ poster: baselinePoster, next: baselineRequests, concurrency: options.concurrency, durationMs: seconds(options.durationSeconds) }),
  );
  baselinePoster.close();
  log(`baseline peak ${peakRate(baselineResult).toFixed(0)} rps`);

  log(`BDK: ${options.warmupSeconds} s warm-up, then ${options.durationSeconds} s with ${options.concurrency} senders ...`);
  const bdkPoster = createPoster(bdk.url, options.concurrency);
  const bdkRequests = signedWebhooks(bdk.secret, options.bodyBytes);
  const bdkLoad = { poster: bdkPoster, next: bdkRequests, onAnswer: ledger.record, concurrency: options.concurrency };
  bdkPhases.push(await closedLoop({ ...bdkLoad, durationMs: seconds(options.warmupSeconds) }));
  const bdkProcesses = await processTree(bdk.stackPid, 'local-stack supervisor', await bdk.processIds());
  bdkProcesses.set(book.process.pid, 'book endpoint');
  const { result: bdkResult, cpuMs: bdkCpu } = await measureCpu(bdkProcesses, () => closedLoop({ ...bdkLoad, durationMs: seconds(options.durationSeconds) }));
  bdkPhases.push(bdkResult);
  bdkPoster.close();
  const bdkRps = peakRate(bdkResult);
  log(`BDK peak ${bdkRps.toFixed(0)} rps; waiting (up to ${options.drainSeconds / 2} s) for its deliveries to catch up before the latency run`);
  const caughtUp = await ledger.settle(book.port, seconds(options.drainSeconds / 2));
  if (caughtUp.undelivered > 0) log(`${caughtUp.undelivered} accepted webhooks still undelivered; the latency run starts anyway`);

  const ratePerSecond = Math.max(1, bdkRps / 2);
  log(`BDK: ${options.openSeconds} s at ${ratePerSecond.toFixed(0)} rps on a fixed schedule ...`);
  const openPoster = createPoster(bdk.url, options.concurrency * 4);
  const halfPeak = await openLoop({
    poster: openPoster,
    next: bdkRequests,
    onAnswer: ledger.record,
    ratePerSecond,
    durationMs: seconds(options.openSeconds),
    maxOutstanding: options.concurrency * 16,
  });
  openPoster.close();
  bdkPhases.push(halfPeak);

  log(`waiting (up to ${options.drainSeconds} s) until the book has every accepted webhook ...`);
  const deliveries = await ledger.settle(book.port, seconds(options.drainSeconds));
  if (options.profileDir) {
    const pids = await bdk.processIds();
    await writeFile(path.join(options.profileDir, 'pids.json'), JSON.stringify(pids, null, 2) + '\n');
    log(`CPU profiles (written as the stack stops) go to ${options.profileDir}; pids.json says which pid is which: ${JSON.stringify(pids)}`);
  }

  console.log(
    '\n' +
      formatSummary({
        options,
        baseline: baselineResult,
        bdk: bdkResult,
        cpu: { baseline: baselineCpu, bdk: bdkCpu },
        halfPeak: { ...halfPeak, ratePerSecond },
        bdkRefused: refusedAcross(bdkPhases),
        bdkFailed: bdkPhases.reduce((sum, phase) => sum + phase.failed, 0),
        deliveries,
      }) +
      '\n',
  );
  const failure = bdkPhases.find((phase) => phase.firstFailure)?.firstFailure;
  if (failure) log(`first request without an answer: ${failure}`);
}

/** Non-2xx answers by status, over several phases. */
function refusedAcross(phases: readonly PhaseResult[]): Map<number, number> {
  const all = new Map<number, number>();
  for (const phase of phases) for (const [status, n] of phase.refused) all.set(status, (all.get(status) ?? 0) + n);
  return all;
}

const helper = helperToServe(process.argv.slice(2));
if (helper) {
  serveHelper(helper);
} else {
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
  try {
    await run(options, teardown);
  } catch (error) {
    console.error('the benchmark failed:', error instanceof Error ? (error.stack ?? error.message) : error);
    code = 1;
  }
  log('stopping everything it started ...');
  await teardown.run();
  process.exit(code);
}
