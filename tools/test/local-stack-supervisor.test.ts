// The local stack's supervisor with real child processes: one that exits is started again after a delay that
// doubles with each crash in a row and starts over once it stayed up; each restart is logged with the exit code
// and the last lines the process printed; stop() ends it for good.
import { afterEach, describe, expect, it } from '@jest/globals';
import { startProcess, waitUntil } from '@bdk/testing';
import { supervise, type BackoffPolicy, type Startable, type Supervised } from '../local-stack/src/supervisor.js';

const handles: Supervised<Startable>[] = [];

afterEach(async () => {
  for (const handle of handles.splice(0)) await handle.stop();
});

/** A node process running `script`, as the supervisor's start() hands it over. */
function nodeProcess(script: string): Startable {
  const proc = startProcess('child', process.execPath, ['-e', script]);
  return { process: proc, stop: () => proc.stop(500) };
}

const fast: BackoffPolicy = { initialMs: 100, maxMs: 400, resetAfterMs: 60_000 };

async function supervised(start: () => Promise<Startable>, backoff: BackoffPolicy, lines: string[]): Promise<Supervised<Startable>> {
  const handle = await supervise({ name: 'child', start, log: (line) => lines.push(line), backoff, outputLines: 2 });
  handles.push(handle);
  return handle;
}

describe('supervise', () => {
  it('restarts a process that exits, doubling the delay up to the maximum, and logs its code and last lines', async () => {
    const starts: number[] = [];
    const log: string[] = [];
    await supervised(
      async () => {
        starts.push(Date.now());
        return nodeProcess('console.log("first line"); console.log("second line"); console.error("last words"); process.exit(3)');
      },
      fast,
      log,
    );
    await waitUntil('five starts', () => starts.length >= 5, { timeoutMs: 20_000, intervalMs: 20 });

    const gaps = starts.slice(1).map((at, i) => at - (starts[i] ?? at));
    // Each gap is the process's own run time plus the delay: 100, 200, 400, then 400 again (the maximum).
    expect(gaps[0]).toBeGreaterThanOrEqual(100);
    expect(gaps[1]).toBeGreaterThanOrEqual(200);
    expect(gaps[2]).toBeGreaterThanOrEqual(400);
    expect(gaps[3]).toBeGreaterThanOrEqual(400);
    expect(gaps[3]).toBeLessThan(400 + 3_000);

    const crash = log.find((line) => line.includes('exited with code 3'));
    expect(crash).toMatch(/restarting in 0\.1 s/);
    // The last two lines only (outputLines), whatever stream they came from.
    expect(crash).toContain('last words');
    expect(crash).not.toContain('first line');
    expect(log.filter((line) => /child restarted \(pid \d+, restart \d+\)/.test(line)).length).toBeGreaterThanOrEqual(4);
  }, 30_000);

  it('restarts one killed by a signal as a new process, and says it had no exit code', async () => {
    const log: string[] = [];
    const handle = await supervised(async () => nodeProcess('setInterval(() => {}, 1000)'), fast, log);
    const first = handle.current.process.pid;
    process.kill(first, 'SIGKILL');
    await waitUntil('a restart', () => handle.restarts === 1, { timeoutMs: 10_000, intervalMs: 20 });
    expect(handle.current.process.pid).not.toBe(first);
    expect(log.join('\n')).toContain(`child (pid ${first}) was killed by a signal (no exit code)`);
  });

  it('starts the delay over once the process stayed up long enough', async () => {
    const starts: number[] = [];
    const log: string[] = [];
    // Up 400 ms each time, longer than resetAfterMs: every crash counts as the first.
    await supervised(
      async () => {
        starts.push(Date.now());
        return nodeProcess('setTimeout(() => process.exit(1), 400)');
      },
      { initialMs: 100, maxMs: 5_000, resetAfterMs: 300 },
      log,
    );
    await waitUntil('four starts', () => starts.length >= 4, { timeoutMs: 20_000, intervalMs: 20 });
    const delays = log.filter((line) => line.includes('exited with code 1')).map((line) => /restarting in ([\d.]+) s/.exec(line)?.[1]);
    expect(delays.slice(0, 3)).toEqual(['0.1', '0.1', '0.1']);
  }, 30_000);

  it('tries again, later, when a restart fails to start', async () => {
    let calls = 0;
    const log: string[] = [];
    const handle = await supervised(
      async () => {
        calls += 1;
        if (calls === 2) throw new Error('port 9091 is taken');
        return nodeProcess(calls === 1 ? 'process.exit(2)' : 'setInterval(() => {}, 1000)');
      },
      fast,
      log,
    );
    await waitUntil('the third start', () => handle.restarts === 1, { timeoutMs: 10_000, intervalMs: 20 });
    expect(calls).toBe(3);
    expect(log.join('\n')).toMatch(/child could not be restarted; trying again in 0\.2 s:\n\s+port 9091 is taken/);
  });

  it('stops for good: the running process ends and no restart follows', async () => {
    let calls = 0;
    const log: string[] = [];
    const handle = await supervised(
      async () => {
        calls += 1;
        return nodeProcess('setInterval(() => {}, 1000)');
      },
      fast,
      log,
    );
    const running = handle.current.process;
    await handle.stop();
    expect(await running.exited).not.toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(calls).toBe(1);
    expect(log).toEqual([]);
  });
});
