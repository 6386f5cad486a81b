// Nothing answered 2xx is lost. The BUILT router as its own process behind the real Envoy sidecar, with each real
// delivery store (a SQLite file; a real nats-server with JetStream), a BookControllerService stand-in whose "book"
// the test scripts, and faults: the router killed with SIGKILL in the middle of a load, nats-server restarted in
// the middle of one, a book failing half its attempts, a book failing every attempt until it is fixed, a retry
// pending across a router restart. Every webhook the sender was answered 2xx for is counted against what reached
// the book.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { permissions } from '@bdk/auth';
import { startApp, startEnvoy, startNatsServer, waitUntil, type RunningApp, type RunningEnvoy } from '@bdk/testing';
import { generateSigningSecret, signPayload } from '@bdk/webhooks';
import { startControllerStandIn, type ControllerStandIn, type StandInSubscriber } from './controller-stand-in.js';
import { createRouterIdentity, type RouterIdentity } from './router-identity.js';

const namespace = 'bdk';
const controllerToken = `router-sa-token-${randomUUID()}`;

function subscriber(source: string): StandInSubscriber {
  const instanceId = randomUUID();
  return {
    source,
    instanceId,
    organizationId: 'org-acme',
    name: `customer-acme-${source}-${instanceId.slice(0, 8)}`,
    routedTo: `customer-acme/${source}-book-1-0-0`,
    scheme: 'standard-webhooks',
    secrets: [generateSigningSecret()],
  };
}

const book = subscriber('crm');

/** Where the router keeps its queue, and the broker's faults where there is a broker. */
interface QueueBackend {
  env: Record<string, string>;
  /** Stops and starts the broker on the same port and data. */
  restartBroker?: () => Promise<void>;
  stop(): Promise<void>;
}

const backends: [string, (directory: string) => Promise<QueueBackend>][] = [
  ['SQLite', async (dir) => ({ env: { BDK_DELIVERY_SQLITE_PATH: path.join(dir, 'deliveries.sqlite') }, stop: async () => undefined })],
  [
    'NATS JetStream',
    async () => {
      const nats = await startNatsServer();
      return { env: { BDK_DELIVERY_STORE: 'nats', BDK_NATS_URL: nats.url }, restartBroker: () => nats.restart(), stop: () => nats.stop() };
    },
  ],
];

describe.each(backends)('with the %s delivery store', (name, makeBackend) => {
  let identity: RouterIdentity | undefined;
  let controller: ControllerStandIn | undefined;
  let router: RunningApp | undefined;
  let envoy: RunningEnvoy | undefined;
  let directory: string;
  let routerEnv: Record<string, string>;
  let backend: QueueBackend | undefined;

  async function startRouter(ports: { grpc?: number; admin?: number } = {}): Promise<RunningApp> {
    return startApp('webhook-router', routerEnv, ports);
  }

  /** SIGKILL: no graceful shutdown, nothing flushed that was not already on disk. */
  async function killRouter(): Promise<void> {
    const running = router;
    if (!running) return;
    process.kill(running.process.pid, 'SIGKILL');
    await running.process.exited;
  }

  beforeAll(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'bdk-durable-delivery-'));
    identity = await createRouterIdentity(controllerToken);
    controller = await startControllerStandIn(namespace);
    controller.subscribers.push(book);
    backend = await makeBackend(directory);
    routerEnv = {
      ...identity.env,
      ...backend.env,
      BDK_CONTROLLER_URL: controller.url,
      BDK_CONTROLLER_TIMEOUT_MS: '3000',
      // Retries in milliseconds, so the whole schedule runs within a test: five attempts in all.
      BDK_DELIVERY_RETRY_SCHEDULE: '100ms,200ms,300ms,400ms',
      BDK_DELIVERY_FIRST_ATTEMPT_BUDGET_MS: '500',
    };
    router = await startRouter();
    envoy = await startEnvoy({ config: 'envoy/sidecar.yaml', upstreams: { app_grpc: router.grpcPort } });
  }, 120_000);

  afterAll(async () => {
    await envoy?.stop();
    await router?.stop();
    await controller?.stop();
    await identity?.remove();
    await backend?.stop();
    await rm(directory, { recursive: true, force: true });
  }, 60_000);

  interface Answer {
    status: number;
    body: Record<string, unknown>;
    headers: Headers;
  }

  async function send(headers: Record<string, string> = {}): Promise<Answer> {
    const body = Buffer.from(JSON.stringify({ type: 'contact.updated', id: randomUUID() }));
    const response = await fetch(`${envoy?.url}/api/v1/webhooks/${book.source}/instances/${book.instanceId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signPayload({ scheme: 'standard-webhooks', payload: body, secret: book.secrets[0] ?? '' }), ...headers },
      body,
    });
    const text = await response.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      parsed = { text };
    }
    return { status: response.status, body: parsed, headers: response.headers };
  }

  /** Sends `count` webhooks, `concurrency` at a time; resolves with the ids of those answered 2xx. */
  async function load(count: number, concurrency: number, onAnswer: (answer: Answer) => void = () => undefined): Promise<{ accepted: string[]; refused: number }> {
    const accepted: string[] = [];
    let refused = 0;
    let next = 0;
    const worker = async () => {
      while (next < count) {
        next += 1;
        const answer: Answer = await send().catch(() => ({ status: 0, body: {}, headers: new Headers() }));
        if (answer.status >= 200 && answer.status < 300) accepted.push(String(answer.body['webhook_id']));
        else {
          refused += 1;
          await sleep(100); // as a sender backs off
        }
        onAnswer(answer);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return { accepted, refused };
  }

  /** Webhook ids the book took (delivered: true), with how often each arrived. */
  function deliveredCounts(): Map<string, number> {
    return tookBy;
  }
  let tookBy = new Map<string, number>();
  let attemptsBy = new Map<string, { attempt: number; at: number; delivered: boolean }[]>();

  function scriptBook(decide: (webhookId: string, attempt: number) => { delivered: boolean; httpStatus: number; retryable?: boolean }): void {
    tookBy = new Map();
    attemptsBy = new Map();
    if (!controller) throw new Error('no controller');
    controller.book = (request) => {
      const answer = decide(request.webhookId, request.attempt);
      const history = attemptsBy.get(request.webhookId) ?? [];
      history.push({ attempt: request.attempt, at: Date.now(), delivered: answer.delivered });
      attemptsBy.set(request.webhookId, history);
      if (answer.delivered) tookBy.set(request.webhookId, (tookBy.get(request.webhookId) ?? 0) + 1);
      return {
        delivered: answer.delivered,
        httpStatus: answer.httpStatus,
        error: answer.delivered ? '' : `book answered HTTP ${answer.httpStatus}`,
        retryable: answer.retryable ?? !answer.delivered,
        retryAfterSeconds: 0,
      };
    };
  }

  async function untilAllDelivered(ids: readonly string[], timeoutMs: number): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    let missing = ids.filter((id) => !deliveredCounts().has(id));
    while (missing.length > 0 && Date.now() < deadline) {
      await sleep(200);
      missing = missing.filter((id) => !deliveredCounts().has(id));
    }
    return missing;
  }

  const token = (permission: (typeof permissions)[keyof typeof permissions]) => identity?.token({ organizationId: 'org-acme', permissions: [permission] });

  async function getDelivery(webhookId: string): Promise<Record<string, unknown>> {
    const response = await fetch(`${envoy?.url}/api/v1/webhooks/deliveries/${webhookId}`, { headers: { authorization: `Bearer ${await token(permissions.deliveriesRead)}` } });
    return ((await response.json()) as { delivery: Record<string, unknown> }).delivery;
  }

  describe('a router killed with SIGKILL during a load', () => {
    it('delivers every webhook it answered 2xx for, after it restarts; repeats carry the same webhook id', async () => {
      scriptBook(() => ({ delivered: true, httpStatus: 200 }));
      const ports = { grpc: router?.grpcPort, admin: router?.adminPort };
      let answered = 0;
      let killed: Promise<void> | undefined;
      const sent = load(2_000, 32, () => {
        answered += 1;
        if (answered === 700) {
          killed = (async () => {
            await killRouter();
            // Down for a moment: the sender sees 503s from the sidecar, which are not 2xx and not counted as owed.
            await sleep(300);
            router = await startRouter(ports);
          })();
        }
      });
      const { accepted, refused } = await sent;
      await killed;
      expect(accepted.length).toBeGreaterThan(700);
      expect(refused).toBeGreaterThan(0); // the kill really happened mid-load

      const lost = await untilAllDelivered(accepted, 60_000);
      expect(lost).toEqual([]);
      const repeats = [...deliveredCounts().values()].filter((n) => n > 1).length;
      // Each delivery carries its webhook id, the book's key to recognise a repeat: every one the book took is an id
      // a sender was answered with, or one recorded just before the kill whose answer never left.
      expect(new Set(accepted).size).toBe(accepted.length);
      console.info(`SIGKILL under load: ${accepted.length} accepted, ${refused} refused while down, 0 lost, ${repeats} delivered twice`);
    }, 180_000);
  });

  // Only a store with a broker has a broker to restart.
  if (name.startsWith('NATS')) describe('the broker restarted during a load', () => {
    it('loses nothing acknowledged, leaves nothing stuck, and the router recovers without a restart', async () => {
      scriptBook(() => ({ delivered: true, httpStatus: 200 }));
      const routerPid = router?.process.pid;
      let answered = 0;
      let restarted: Promise<void> | undefined;
      const { accepted, refused } = await load(2_000, 32, () => {
        answered += 1;
        if (answered === 700) restarted = backend?.restartBroker?.();
      });
      await restarted;
      expect(accepted.length).toBeGreaterThan(1_000);
      const lost = await untilAllDelivered(accepted, 60_000);
      expect(lost).toEqual([]);
      // The same router process, and a new webhook goes straight through.
      expect(router?.process.pid).toBe(routerPid);
      const after = await send();
      expect([after.status, after.body['processed']]).toEqual([200, true]);
      console.info(`nats-server restarted under load: ${accepted.length} accepted, ${refused} refused, 0 lost`);
    }, 180_000);
  });

  describe('retries', () => {
    it('delivers everything to a book that fails about half its attempts', async () => {
      // Deterministic per webhook: about half the first attempts fail, and some of the second and third too.
      scriptBook((webhookId, attempt) => {
        const coin = (parseInt(webhookId.slice(-2), 16) + attempt) % 2 === 0;
        return attempt < 4 && coin ? { delivered: false, httpStatus: 503 } : { delivered: true, httpStatus: 200 };
      });
      const { accepted } = await load(300, 16);
      expect(accepted).toHaveLength(300);
      expect(await untilAllDelivered(accepted, 30_000)).toEqual([]);
      const attempts = [...attemptsBy.values()].flat();
      const failed = attempts.filter((a) => !a.delivered).length;
      expect(failed / attempts.length).toBeGreaterThan(0.3);
      expect([...tookBy.values()].every((n) => n === 1)).toBe(true);
    }, 120_000);

    it('dead-letters what a book always fails, on schedule, then delivers it by a bulk replay once the book is fixed', async () => {
      let fixed = false;
      scriptBook(() => (fixed ? { delivered: true, httpStatus: 200 } : { delivered: false, httpStatus: 500 }));
      const started = new Date();
      const { accepted } = await load(20, 5);
      expect(accepted).toHaveLength(20);
      await waitUntil(
        'every webhook dead-lettered',
        async () => {
          for (const id of accepted) if ((await getDelivery(id))['state'] !== 'dead_lettered') return false;
          return true;
        },
        { timeoutMs: 30_000 },
      );
      for (const id of accepted) {
        const history = attemptsBy.get(id) ?? [];
        // Five attempts: the first, then after 100, 200, 300 and 400 ms (±20 % jitter).
        expect(history.map((a) => a.attempt)).toEqual([1, 2, 3, 4, 5]);
        const last = history.at(-1)?.at ?? 0;
        expect(last - (history[0]?.at ?? 0)).toBeGreaterThanOrEqual(0.8 * 1_000 - 50);
      }
      const dead = await getDelivery(accepted[0] ?? '');
      expect(dead).toMatchObject({ state: 'dead_lettered', attempts: 5, last_error: 'book answered HTTP 500' });
      expect(dead['attempt_log']).toHaveLength(5);

      fixed = true;
      const response = await fetch(`${envoy?.url}/api/v1/webhooks/deliveries:replay`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await token(permissions.deliveriesReplay)}` },
        body: JSON.stringify({ source: book.source, state: 'dead_lettered', received_after: started.toISOString(), limit: 1000 }),
      });
      expect(response.status).toBe(200);
      const { webhook_ids: replayed } = (await response.json()) as { webhook_ids: string[] };
      expect(replayed.sort()).toEqual([...accepted].sort());
      expect(await untilAllDelivered(accepted, 15_000)).toEqual([]);
      expect(await getDelivery(accepted[0] ?? '')).toMatchObject({ state: 'delivered', attempts: 6 });
    }, 120_000);

    it('keeps a pending retry across a router restart and makes it on schedule', async () => {
      routerEnv = { ...routerEnv, BDK_DELIVERY_RETRY_SCHEDULE: '3s' };
      await router?.stop();
      const ports = { grpc: router?.grpcPort, admin: router?.adminPort };
      router = await startRouter(ports);
      scriptBook((_, attempt) => (attempt === 1 ? { delivered: false, httpStatus: 503 } : { delivered: true, httpStatus: 200 }));

      const answer = await send();
      expect(answer.body).toMatchObject({ processed: false });
      const webhookId = String(answer.body['webhook_id']);
      const due = Date.parse(String((await getDelivery(webhookId))['next_attempt_at']));
      expect(due).toBeGreaterThan(Date.now());

      await killRouter();
      router = await startRouter(ports);
      const upAt = Date.now();
      expect(await untilAllDelivered([webhookId], 15_000)).toEqual([]);
      const retry = attemptsBy.get(webhookId)?.find((a) => a.attempt === 2);
      expect(retry?.at).toBeGreaterThanOrEqual(due - 50);
      // On schedule, or, when the restart took longer than the delay, as soon as the router is back: the
      // dispatcher looks for due work every 200 ms (the margin is for a machine busy with other tests).
      expect(retry?.at).toBeLessThan(Math.max(due, upAt) + 2_500);
    }, 60_000);
  });

  describe('backpressure through the sidecar', () => {
    it('answers 429 with Retry-After over the rate limit, and 503 with Retry-After when the queue is full', async () => {
      scriptBook(() => ({ delivered: true, httpStatus: 200 }));
      const ports = { grpc: router?.grpcPort, admin: router?.adminPort };
      await router?.stop();
      // One a second after a burst of two: twelve at once cannot all pass, however slowly this machine sends them.
      routerEnv = { ...routerEnv, BDK_WEBHOOK_SOURCE_RATE: '1', BDK_WEBHOOK_SOURCE_BURST: '2' };
      router = await startRouter(ports);
      const answers = await Promise.all(Array.from({ length: 12 }, () => send()));
      const limited = answers.filter((a) => a.status === 429);
      expect(answers.filter((a) => a.status === 200).length).toBeGreaterThanOrEqual(2);
      expect(limited.length).toBeGreaterThan(0);
      expect(limited[0]?.headers.get('retry-after')).toBe('1');
      expect(limited[0]?.body).toMatchObject({ code: 8, message: `source "${book.source}" is over its webhook rate limit; retry after 1 s` });

      // Earlier tests' stragglers (a webhook recorded just before a SIGKILL waits out its lease) drain first.
      await waitUntil('the delivery queue to drain', async () => /^bdk_webhook_queue_depth\{[^}]*\} 0$/m.test(await (await fetch(`http://127.0.0.1:${router?.adminPort}/metrics`)).text()), {
        timeoutMs: 30_000,
      });
      await router?.stop();
      const { BDK_WEBHOOK_SOURCE_RATE: _rate, BDK_WEBHOOK_SOURCE_BURST: _burst, ...unlimited } = routerEnv;
      // A book that keeps failing keeps its webhooks owed, so the queue fills up. The router's count of the queue is
      // the store's (read every 2 s) plus what it accepted since, which can count a webhook twice for a moment (a
      // refusal the next reading corrects) but never misses one: with room for 3, the first two are accepted, and
      // never more than three in all.
      routerEnv = { ...unlimited, BDK_DELIVERY_MAX_PENDING: '3', BDK_DELIVERY_FIRST_ATTEMPT_BUDGET_MS: '0' };
      router = await startRouter(ports);
      scriptBook(() => ({ delivered: false, httpStatus: 503 }));
      const statuses: number[] = [];
      let full: Answer | undefined;
      for (let i = 0; i < 6; i++) {
        const answer = await send();
        statuses.push(answer.status);
        full ??= answer.status === 503 ? answer : undefined;
      }
      const accepted = statuses.filter((status) => status === 200).length;
      expect(accepted).toBeGreaterThanOrEqual(2);
      expect(accepted).toBeLessThanOrEqual(3);
      expect(statuses.slice(0, 2)).toEqual([200, 200]);
      expect(statuses.every((status) => status === 200 || status === 503)).toBe(true);
      expect(full?.headers.get('retry-after')).toBe('30');
      expect(full?.body).toMatchObject({ code: 14, message: 'the delivery queue is full; try again later' });
    }, 60_000);
  });
});
