// `npm start` as its user meets it, through the built stack (dist/tools/local-stack/main.js) on free ports, with each
// delivery store: a book, an instance and a webhook its book has not taken yet (the book answers 503) are all still
// there after SIGTERM and a new start on the same state dir (with the tokens issued before), and the webhook is
// delivered once the book answers; a webhook-router killed with SIGKILL is restarted by the stack on its ports, so
// the gateway answers the router's routes again. Needs
// `nx run-many -t build -p library-service,book-controller,webhook-router,tooling`.
import { afterAll, describe, expect, it } from '@jest/globals';
import {
  seedCreateBookRequest,
  seedCreateInstanceRequest,
  seedWebhookBody,
  seedWebhookHeaders,
  startBookEndpoint,
  startLocalStack,
  waitUntil,
  workspaceRoot,
  type BookEndpoint,
  type LocalStack,
} from '@bdk/testing';
import { signPayload } from '@bdk/webhooks';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const main = path.join(workspaceRoot, 'dist/tools/local-stack/main.js');
const tokenCommand = path.join(workspaceRoot, 'dist/tools/token.js');
const builtApps = ['library-service', 'book-controller', 'webhook-router'].map((app) => path.join(workspaceRoot, 'dist/apps', app, 'main.js'));

const stateDirs: string[] = [];
const stacks: LocalStack[] = [];
const bookEndpoints: BookEndpoint[] = [];

function commandLine(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

/** Every process whose command line names `dir`: the etcd, kube-apiserver and nats-server of a stack on that dir. */
function processesUsing(dir: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry) && commandLine(entry).includes(dir))
    .map(Number);
}

afterAll(async () => {
  for (const stack of stacks) await stack.stop();
  // Should a stack have died without stopping what it started, nothing it started outlives the test.
  for (const stateDir of stateDirs) {
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
  await Promise.all(bookEndpoints.map((book) => book.close()));
}, 120_000);

/** Runs the stack on `stateDir` (kept) with free ports; resolves once it reports it is up. */
async function startStack(stateDir: string, env: Record<string, string>): Promise<LocalStack> {
  const stack = await startLocalStack({ stateDir, env: { ...process.env, KUBECONFIG: '', ...env } });
  stacks.push(stack);
  return stack;
}

async function stopStack(stack: LocalStack): Promise<void> {
  process.kill(stack.process.pid, 'SIGTERM');
  expect(await stack.process.exited).toBe(0);
}

async function call(url: string, bearer: string, method = 'GET', body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

describe.each(['sqlite', 'nats'])('the local stack with the %s delivery store', (store) => {
  it('keeps books, instances and undelivered webhooks across a stop and a start, and brings a killed router back', async () => {
    for (const file of [main, tokenCommand, ...builtApps]) {
      if (!existsSync(file)) throw new Error(`${file} is missing: run \`npx nx run-many -t build -p library-service,book-controller,webhook-router,tooling\``);
    }
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'bdk-local-state-'));
    stateDirs.push(stateDir);
    // The book refuses every trigger until the test lets it take them.
    const book = await startBookEndpoint();
    bookEndpoints.push(book);
    book.status = 503;
    const bookUrlTemplate = `http://127.0.0.1:${book.port}/{namespace}/{service}`;
    // One retry, soon: due while the stack is stopped or just after it is back.
    const env = { BDK_LOCAL_DELIVERY_STORE: store, BDK_BOOK_URL_TEMPLATE: bookUrlTemplate, BDK_DELIVERY_RETRY_SCHEDULE: '10s,10s,10s' };
    const token = (...args: string[]) =>
      execFileSync(process.execPath, [tokenCommand, ...args], { env: { ...process.env, BDK_LOCAL_STACK_DIR: stateDir }, encoding: 'utf8' }).trim();

    const first = await startStack(stateDir, env);
    expect(first.process.output()).toContain(store === 'sqlite' ? `SQLite ${path.join(stateDir, 'webhook-router', 'deliveries.sqlite')}` : 'NATS JetStream nats://127.0.0.1:');
    const admin = token('--admin');
    const member = token('--org', 'org-kept');
    const api = (pathname: string) => `${first.gatewayUrl}${pathname}`;

    const integrations = [{ name: 'zendesk', type: 'webhook', config: { endpoint: '/webhooks/zendesk' } }];
    const created = await call(api('/api/v1/books'), admin, 'POST', { ...seedCreateBookRequest, integrations });
    expect(created.status).toBe(201);
    const bookId = String(created.json['book_id']);
    const instance = await call(api(`/api/v1/books/${bookId}/instances`), member, 'POST', {
      ...seedCreateInstanceRequest,
      customer_namespace: 'customer-kept',
      organization_id: 'org-kept',
    });
    expect(instance.status).toBe(201);
    const instanceId = String(instance.json['instance_id']);
    const secret = (instance.json['webhooks'] as { signing_secret: string }[])[0]?.signing_secret ?? '';
    await waitUntil('the instance to be Ready', async () => JSON.stringify((await call(api(`/api/v1/books/${bookId}/instances`), member)).json).includes('"phase":"Ready"'), {
      timeoutMs: 60_000,
      intervalMs: 500,
    });

    // The book refuses it: accepted all the same, and owed.
    const signature = signPayload({ scheme: 'zendesk', payload: Buffer.from(seedWebhookBody), secret });
    const sent = await fetch(api(`/api/v1/webhooks/zendesk/instances/${instanceId}`), {
      method: 'POST',
      headers: { ...seedWebhookHeaders, ...signature },
      body: seedWebhookBody,
    });
    expect(sent.status).toBe(200);
    const accepted = (await sent.json()) as { webhook_id: string; processed: boolean };
    expect(accepted.processed).toBe(false);
    const delivery = async (gatewayUrl: string) => (await call(`${gatewayUrl}/api/v1/webhooks/deliveries/${accepted.webhook_id}`, member)).json['delivery'] as { state: string } | undefined;
    expect((await delivery(first.gatewayUrl))?.state).not.toBe('delivered');

    await stopStack(first);
    expect(first.process.output()).toContain(`the state is kept in ${stateDir}`);
    expect(existsSync(path.join(stateDir, 'local-stack.pid'))).toBe(false);
    expect(processesUsing(stateDir)).toEqual([]);

    // A new start on the same state dir, with the tokens issued before: the book, the instance and the owed webhook
    // are there, and the webhook reaches the book once it answers.
    const second = await startStack(stateDir, env);
    const books = await call(`${second.gatewayUrl}/api/v1/books`, member);
    expect(books.status).toBe(200);
    expect((books.json['books'] as { book_id: string }[]).map((b) => b.book_id)).toEqual([bookId]);
    const instances = await call(`${second.gatewayUrl}/api/v1/books/${bookId}/instances`, member);
    expect((instances.json['instances'] as { instance_id: string }[]).map((i) => i.instance_id)).toEqual([instanceId]);
    expect(await delivery(second.gatewayUrl)).toMatchObject({ state: expect.stringMatching(/pending|retrying|failed/) });
    book.status = 202;
    await waitUntil('the owed webhook to be delivered', async () => (await delivery(second.gatewayUrl))?.state === 'delivered', { timeoutMs: 60_000, intervalMs: 500 });
    expect(book.requests.filter((r) => r.status === 202).map((r) => r.body.toString('utf8'))).toContain(seedWebhookBody);

    // The router dies as an OOM kill would; the stack starts it again on the same ports, behind the same sidecar.
    const routerPid = () => Number(readFileSync(path.join(stateDir, 'run', 'webhook-router.pid'), 'utf8').trim());
    const deliveries = async () => (await call(`${second.gatewayUrl}/api/v1/webhooks/deliveries`, member)).status;
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
    expect((await call(`${second.gatewayUrl}/api/v1/books`, member)).status).toBe(200);

    await stopStack(second);
    expect(processesUsing(stateDir)).toEqual([]);
  }, 360_000);
});
