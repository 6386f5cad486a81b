// The NATS delivery store while its nats-server goes away under it: restarted, and killed (SIGKILL) and started
// again on the same store dir, in the middle of a few hundred concurrent accepts. One store object lives through
// it all, as a router replica would: what it accepted is never lost, the shared consumer is not stuck, no pair is
// left where nobody will ever claim it, and a retry held back by the broker still comes due on time.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startNatsServer, waitUntil, type RunningNatsServer } from '@bdk/testing';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AcceptResult, DeliveryStore, DueWork, NewDelivery } from '../src/delivery-store.js';
import { openNatsDeliveryStore } from '../src/nats-store.js';
import { webhook } from './delivery-store.contract.js';

let server: RunningNatsServer;
let store: DeliveryStore;

beforeAll(async () => {
  server = await startNatsServer();
  // A short deadline, so calls made while the server is down fail within the test's time.
  store = await openNatsDeliveryStore({ servers: server.url, timeoutMs: 2_000 });
}, 60_000);

afterAll(async () => {
  await store?.close();
  await server?.stop();
});

const window = { leaseMs: 300, idempotencyWindowMs: 600_000 };

function deliveryOf(organizationId: string, index: number): NewDelivery {
  const targets = Array.from({ length: index % 4 === 0 ? 2 : 1 }, (_, n) => ({
    namespace: 'bdk',
    name: `book-${index}-${n}`,
    instanceId: randomUUID(),
    routedTo: `customer-${organizationId}/book-${n}`,
  }));
  return webhook({ organizationId, targets, ...(index % 3 === 0 ? { idempotencyKey: `sender-${organizationId}-${index}` } : {}) });
}

/** Waits until the store answers again after the server came back (the client reconnects by itself). */
async function untilStoreAnswers(): Promise<void> {
  await waitUntil('the store to answer after the restart', async () => (await store.stats()) !== undefined, { timeoutMs: 20_000, intervalMs: 100 });
}

/** Accepts `count` deliveries, started a few ms apart, while `disrupt` runs once the first ones are under way. */
async function acceptThrough(organizationId: string, count: number, disrupt: () => Promise<void>) {
  const deliveries = Array.from({ length: count }, (_, index) => deliveryOf(organizationId, index));
  const accepting = Promise.allSettled(
    deliveries.map(async (delivery, index): Promise<AcceptResult> => {
      await sleep(index * 10);
      return store.accept(delivery, window);
    }),
  );
  await sleep(500);
  await disrupt();
  const settled = await accepting;
  return deliveries.map((delivery, index) => ({ delivery, result: settled[index] as PromiseSettledResult<AcceptResult> }));
}

/**
 * Claims until every pair of the organisation's recorded deliveries has been handed out once (each is then
 * recorded delivered), failing if one is never handed out or is handed out twice.
 */
async function claimEveryPair(organizationId: string, withinMs: number): Promise<DueWork[]> {
  const recorded = (await store.list({ organizationId }, { pageSize: 10_000 })).deliveries;
  const owed = new Set(recorded.flatMap((d) => d.targets.map((_, target) => `${d.webhookId}/${target}`)));
  const claimed: DueWork[] = [];
  const seen = new Set<string>();
  const deadline = Date.now() + withinMs;
  while ([...owed].some((pair) => !seen.has(pair)) && Date.now() < deadline) {
    for (const work of await store.claimDue(100, 60_000)) {
      if (work.organizationId !== organizationId) continue;
      const pair = `${work.webhookId}/${work.target}`;
      expect(seen.has(pair)).toBe(false);
      seen.add(pair);
      claimed.push(work);
    }
    await sleep(50);
  }
  expect([...owed].filter((pair) => !seen.has(pair))).toEqual([]);
  await Promise.all(claimed.map((work) => store.recordAttempt(work.webhookId, work.target, { at: new Date(), target: work.target, httpStatus: 200, latencyMs: 5, error: '' }, { state: 'delivered' })));
  return claimed;
}

async function expectNoneLost(organizationId: string, outcomes: Awaited<ReturnType<typeof acceptThrough>>) {
  const resolved = outcomes.filter(({ result }) => result.status === 'fulfilled');
  // Most accepts went through: the disruption was in the middle, not over the whole run.
  expect(resolved.length).toBeGreaterThan(outcomes.length / 3);

  for (const { delivery } of resolved) {
    const read = await store.get(organizationId, delivery.webhookId);
    expect(read).toMatchObject({ webhookId: delivery.webhookId, payloadSize: delivery.payload.length, targets: delivery.targets.map(() => expect.anything()) });
  }

  // The sender retries what was answered with an error: with its delivery id, the retry is the original's
  // duplicate if the original made it, or recorded anew; it never fails for good or hangs.
  const retried = await Promise.all(
    outcomes
      .filter(({ result, delivery }) => result.status === 'rejected' && delivery.idempotencyKey)
      .map(({ delivery }) => store.accept({ ...delivery, webhookId: webhook().webhookId, receivedAt: new Date() }, window)),
  );
  for (const result of retried) expect(await store.get(organizationId, result.webhookId)).toBeDefined();

  const claimed = await claimEveryPair(organizationId, 30_000);
  const claimedIds = new Set(claimed.map((work) => work.webhookId));
  for (const { delivery } of resolved) expect(claimedIds.has(delivery.webhookId)).toBe(true);
  for (const work of claimed.slice(0, 5)) expect((await store.get(organizationId, work.webhookId))?.targets[work.target]?.state).toBe('delivered');

  // Every delivery that exists is finished: nothing was left pending with no work message to bring it back.
  const left = (await store.list({ organizationId, state: 'pending' }, { pageSize: 10_000 })).deliveries;
  expect(left.map((d) => d.webhookId)).toEqual([]);
}

describe('the NATS delivery store across nats-server restarts', () => {
  it('loses no accepted webhook when the server restarts in the middle of concurrent accepts', async () => {
    const organizationId = `org-${randomUUID()}`;
    const outcomes = await acceptThrough(organizationId, 300, () => server.restart());
    await untilStoreAnswers();
    await expectNoneLost(organizationId, outcomes);
  }, 120_000);

  it('loses no accepted webhook when the server is killed (SIGKILL) and started again on its store dir', async () => {
    const organizationId = `org-${randomUUID()}`;
    const outcomes = await acceptThrough(organizationId, 300, async () => {
      await server.kill();
      // Down for a while: accepts made now fail (or wait) rather than hang.
      await sleep(500);
      await server.restart();
    });
    await untilStoreAnswers();
    await expectNoneLost(organizationId, outcomes);
  }, 120_000);

  it('answers with an error, not silence, while the server is down', async () => {
    await server.kill();
    try {
      const started = Date.now();
      await expect(store.accept(deliveryOf(`org-${randomUUID()}`, 1), window)).rejects.toThrow();
      await expect(store.claimDue(10, 1_000)).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await server.restart();
    }
    await untilStoreAnswers();
  }, 60_000);

  it('brings a retry due on time, and a dead replica\u2019s lease back, after the server was killed', async () => {
    const organizationId = `org-${randomUUID()}`;
    const retried = deliveryOf(organizationId, 1);
    const abandoned = deliveryOf(organizationId, 2);
    await store.accept(retried, window);
    await store.accept(abandoned, { ...window, leaseMs: 1 });
    const nextAttemptAt = new Date(Date.now() + 4_000);
    await store.recordAttempt(retried.webhookId, 0, { at: new Date(), target: 0, httpStatus: 503, latencyMs: 5, error: 'book answered HTTP 503' }, { state: 'failed', nextAttemptAt });
    // Another replica claims the second pair for 3 s and dies with it.
    const replica = await openNatsDeliveryStore({ servers: server.url, timeoutMs: 2_000 });
    let leaseEnds: number;
    try {
      leaseEnds = Date.now() + 3_000;
      const taken = await waitUntil('the abandoned pair to be claimed', async () => (await replica.claimDue(10, 3_000)).find((w) => w.webhookId === abandoned.webhookId));
      expect(taken.attempt).toBe(1);
    } finally {
      await replica.close();
    }

    await server.kill();
    await server.restart();

    // Claimed as a dispatcher claims: on and on, whatever a call fails with while the client reconnects.
    const dueAt = new Map<string, number>();
    const deadline = nextAttemptAt.getTime() + 3_000;
    while (dueAt.size < 2 && Date.now() < deadline) {
      const claimed = await store.claimDue(10, 60_000).catch(() => []);
      for (const work of claimed) if (work.organizationId === organizationId) dueAt.set(work.webhookId, Date.now());
      await sleep(25);
    }
    expect(dueAt.get(abandoned.webhookId)).toBeGreaterThanOrEqual(leaseEnds - 50);
    expect(dueAt.get(abandoned.webhookId)).toBeLessThan(leaseEnds + 1_500);
    expect(dueAt.get(retried.webhookId)).toBeGreaterThanOrEqual(nextAttemptAt.getTime() - 50);
    expect(dueAt.get(retried.webhookId)).toBeLessThan(nextAttemptAt.getTime() + 1_500);
  }, 60_000);
});
