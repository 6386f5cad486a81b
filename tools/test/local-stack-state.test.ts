// `npm start` as its user meets it, through the built stack (dist/tools/local-stack/main.js) on free ports: a book
// created through the gateway is still listed after SIGTERM and a new start on the same state dir (with the token
// issued before), and a webhook-router killed with SIGKILL is restarted by the stack on its ports, so the gateway
// answers the router's routes again. Needs `nx run-many -t build -p library-service,book-controller,webhook-router,tooling`.
import { afterAll, describe, expect, it } from '@jest/globals';
import { seedCreateBookRequest, startProcess, waitUntil, workspaceRoot, type ManagedProcess } from '@bdk/testing';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const main = path.join(workspaceRoot, 'dist/tools/local-stack/main.js');
const tokenCommand = path.join(workspaceRoot, 'dist/tools/token.js');
const builtApps = ['library-service', 'book-controller', 'webhook-router'].map((app) => path.join(workspaceRoot, 'dist/apps', app, 'main.js'));

let stateDir = '';
const started: ManagedProcess[] = [];

function commandLine(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

/** Every process whose command line names `dir`: the etcd and kube-apiserver of a stack on that state dir. */
function processesUsing(dir: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry) && commandLine(entry).includes(dir))
    .map(Number);
}

afterAll(async () => {
  for (const stack of started) await stack.stop(60_000);
  // Should a stack have died without stopping what it started, nothing it started outlives the test.
  if (stateDir) {
    const runDir = path.join(stateDir, 'run');
    const pids = existsSync(runDir) ? readdirSync(runDir).map((file) => readFileSync(path.join(runDir, file), 'utf8').trim()) : [];
    // A pid file left behind may name a pid reused since: only an app or an Envoy of the stack is killed.
    const supervised = pids.filter((pid) => /dist\/apps\/|bdk-envoy-/.test(commandLine(pid))).map(Number);
    for (const pid of [...supervised, ...processesUsing(stateDir)]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    await rm(stateDir, { recursive: true, force: true });
  }
}, 90_000);

interface Stack {
  process: ManagedProcess;
  gatewayUrl: string;
}

/** Runs the stack on `stateDir` with free ports; resolves once it reports it is up. */
async function startStack(): Promise<Stack> {
  const proc = startProcess('local-stack', process.execPath, [main], {
    env: { ...process.env, KUBECONFIG: '', BDK_GRPC_BASE_PORT: '0', BDK_GATEWAY_PORT: '0', BDK_LOCAL_STACK_DIR: stateDir },
    keepLines: 2_000,
  });
  started.push(proc);
  const output = await waitUntil(
    'the local stack to report it is up',
    () => {
      const printed = proc.output();
      if (printed.includes('the local stack could not start')) throw new Error(printed);
      return printed.includes('Ctrl-C stops everything') && printed;
    },
    { timeoutMs: 150_000, intervalMs: 250 },
  );
  const gatewayUrl = /REST gateway\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
  if (!gatewayUrl) throw new Error(`no gateway URL in:\n${output}`);
  return { process: proc, gatewayUrl };
}

/** A token of the stack's own issuer, as `npm run --silent token` prints it. */
function token(...args: string[]): string {
  return execFileSync(process.execPath, [tokenCommand, ...args], { env: { ...process.env, BDK_LOCAL_STACK_DIR: stateDir }, encoding: 'utf8' }).trim();
}

async function bookNames(gatewayUrl: string, bearer: string): Promise<string[]> {
  const response = await fetch(`${gatewayUrl}/api/v1/books`, { headers: { authorization: `Bearer ${bearer}` } });
  expect(response.status).toBe(200);
  return ((await response.json()) as { books: { name: string; version: string }[] }).books.map((b) => `${b.name}@${b.version}`);
}

function routerPid(): number {
  return Number(readFileSync(path.join(stateDir, 'run', 'webhook-router.pid'), 'utf8').trim());
}

describe('the local stack keeps its state and restarts what crashes', () => {
  it('lists a book after a stop and a start, and brings a killed webhook-router back', async () => {
    for (const file of [main, tokenCommand, ...builtApps]) {
      if (!existsSync(file)) throw new Error(`${file} is missing: run \`npx nx run-many -t build -p library-service,book-controller,webhook-router,tooling\``);
    }
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'bdk-local-state-'));

    const first = await startStack();
    const admin = token('--admin');
    const member = token('--org', 'org-kept');
    const created = await fetch(`${first.gatewayUrl}/api/v1/books`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify(seedCreateBookRequest),
    });
    expect(created.status).toBe(201);
    const kept = `${seedCreateBookRequest.name}@${seedCreateBookRequest.version}`;
    expect(await bookNames(first.gatewayUrl, member)).toEqual([kept]);

    process.kill(first.process.pid, 'SIGTERM');
    expect(await first.process.exited).toBe(0);
    expect(first.process.output()).toContain(`the state is kept in ${stateDir}`);
    expect(existsSync(path.join(stateDir, 'local-stack.pid'))).toBe(false);

    // A new start on the same state dir: the book is there, and the token issued before still works.
    const second = await startStack();
    expect(await bookNames(second.gatewayUrl, member)).toEqual([kept]);
    expect(second.process.output()).toContain(`SQLite ${path.join(stateDir, 'webhook-router', 'deliveries.sqlite')}`);

    // The router dies as an OOM kill would; the stack starts it again on the same ports, behind the same sidecar.
    const deliveries = async () =>
      (await fetch(`${second.gatewayUrl}/api/v1/webhooks/deliveries`, { headers: { authorization: `Bearer ${member}` } })).status;
    expect(await deliveries()).toBe(200);
    const killed = routerPid();
    process.kill(killed, 'SIGKILL');
    await waitUntil('the stack to log the crash', () => second.process.output().includes(`webhook-router (pid ${killed}) was killed by a signal`), {
      timeoutMs: 10_000,
      intervalMs: 100,
    });
    await waitUntil('the router to be restarted', () => /webhook-router restarted \(pid \d+, restart 1\)/.test(second.process.output()), {
      timeoutMs: 30_000,
      intervalMs: 100,
    });
    expect(routerPid()).not.toBe(killed);
    await waitUntil('the gateway to answer the router routes again', async () => (await deliveries()) === 200, { timeoutMs: 30_000, intervalMs: 200 });
    // Nothing else was stopped: the library answers as before.
    expect(await bookNames(second.gatewayUrl, member)).toEqual([kept]);

    process.kill(second.process.pid, 'SIGTERM');
    expect(await second.process.exited).toBe(0);
    expect(processesUsing(stateDir)).toEqual([]);
  }, 300_000);
});
