// What every DeliveryStore back end must do, as one suite each back end's test file runs against its real storage
// (a SQLite file; a real nats-server). Times are real and short: the NATS back end lets the broker hold retries
// back, so a store cannot be handed a fake clock.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { uuidv7 } from '../src/uuidv7.js';
import { InvalidPageToken, type DeliveryStore, type DeliveryTarget, type ExportedDelivery, type NewDelivery } from '../src/delivery-store.js';

export interface StoreHarness {
  /** Opens the store on the same storage each time: what one open wrote, the next must read. */
  open(): Promise<DeliveryStore>;
  /** Removes the storage (temp dirs, servers). */
  cleanUp(): Promise<void>;
}

const options = { leaseMs: 400, idempotencyWindowMs: 60_000 };

function target(n: number, org = 'org-a'): DeliveryTarget {
  const instanceId = randomUUID();
  return { namespace: 'bdk', name: `customer-${org}-${n}`, instanceId, routedTo: `customer-${org}/book-${n}` };
}

export function webhook(overrides: Partial<NewDelivery> = {}): NewDelivery {
  return {
    webhookId: uuidv7(),
    organizationId: 'org-a',
    source: 'zendesk',
    event: 'ticket.created',
    contentType: 'application/json',
    payload: new TextEncoder().encode(JSON.stringify({ ticket: randomUUID() })),
    headers: { 'x-webhook-event': 'ticket.created' },
    targets: [target(1)],
    receivedAt: new Date(),
    ...overrides,
  };
}

/** The element at `index`, which the test knows is there. */
function nth<T>(list: readonly T[], index: number): T {
  const value = list[index];
  if (value === undefined) throw new Error(`no element ${index}`);
  return value;
}

const attempt = (target: number, httpStatus: number, error = '') => ({ at: new Date(), target, httpStatus, latencyMs: 12, error });

export function describeDeliveryStore(name: string, makeHarness: () => Promise<StoreHarness>): void {
  describe(`${name} delivery store`, () => {
    let harness: StoreHarness;
    let store: DeliveryStore;
    const opened: DeliveryStore[] = [];
    const open = async () => {
      const next = await harness.open();
      opened.push(next);
      return next;
    };

    beforeAll(async () => {
      harness = await makeHarness();
    }, 120_000);
    afterAll(async () => {
      await harness?.cleanUp();
    });
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      // Everything left due is drained so one test's work is not claimed by the next.
      for (const each of opened.splice(0)) await each.close().catch(() => undefined);
    });

    /** Claims until the given pairs are handed out, or fails after `withinMs`. */
    async function claimEventually(s: DeliveryStore, webhookId: string, withinMs = 3_000) {
      const deadline = Date.now() + withinMs;
      while (Date.now() < deadline) {
        const work = await s.claimDue(50, options.leaseMs);
        const mine = work.filter((w) => w.webhookId === webhookId);
        if (mine.length > 0) return mine;
        await sleep(50);
      }
      throw new Error(`${webhookId} was never due within ${withinMs} ms`);
    }

    describe('accept', () => {
      it('records the webhook so that a store opened afterwards reads it, bytes and all', async () => {
        const payload = Uint8Array.from([0, 1, 2, 254, 255, 10, 13]);
        const delivery = webhook({ payload, contentType: 'application/octet-stream' });
        const result = await store.accept(delivery, options);
        expect(result).toEqual({ duplicate: false, webhookId: delivery.webhookId });
        await store.close();

        const reopened = await open();
        const read = await reopened.get('org-a', delivery.webhookId);
        expect(read).toMatchObject({
          webhookId: delivery.webhookId,
          organizationId: 'org-a',
          source: 'zendesk',
          event: 'ticket.created',
          contentType: 'application/octet-stream',
          payloadSize: payload.length,
          state: 'pending',
          attempts: 0,
          lastError: '',
          targets: [{ ...delivery.targets[0], state: 'pending', attempts: 0, lastError: '' }],
          attemptLog: [],
        });
        expect(read?.receivedAt.getTime()).toBe(delivery.receivedAt.getTime());
        // The lease of the first attempt runs out with no attempt recorded: the pair is due, with its exact bytes.
        const work = nth(await claimEventually(reopened, delivery.webhookId), 0);
        expect(work).toMatchObject({ webhookId: delivery.webhookId, target: 0, attempt: 1, destination: delivery.targets[0], headers: delivery.headers });
        expect(Buffer.from(work.payload).equals(Buffer.from(payload))).toBe(true);
      });

      it('leases the first attempt to the caller: nothing is due until the lease ends', async () => {
        const delivery = webhook();
        await store.accept(delivery, options);
        const early = await store.claimDue(50, options.leaseMs);
        expect(early.filter((w) => w.webhookId === delivery.webhookId)).toEqual([]);
        await claimEventually(store, delivery.webhookId);
      });

      it('answers a sender\u2019s retry of the same delivery id with the original, within the window', async () => {
        const first = webhook({ idempotencyKey: 'gh-delivery-1' });
        await store.accept(first, options);
        const retry = await store.accept(webhook({ idempotencyKey: 'gh-delivery-1' }), options);
        expect(retry).toMatchObject({ duplicate: true, webhookId: first.webhookId, original: { webhookId: first.webhookId } });

        // The key is the sender's: another organisation or another source may use the same one.
        const otherOrg = webhook({ idempotencyKey: 'gh-delivery-1', organizationId: 'org-b', targets: [target(1, 'org-b')] });
        expect(await store.accept(otherOrg, options)).toMatchObject({ duplicate: false, webhookId: otherOrg.webhookId });
        const otherSource = webhook({ idempotencyKey: 'gh-delivery-1', source: 'github' });
        expect(await store.accept(otherSource, options)).toMatchObject({ duplicate: false });
      });

      it('records the same delivery id again once its window has passed', async () => {
        const first = webhook({ idempotencyKey: 'short-window', receivedAt: new Date(Date.now() - 10_000) });
        await store.accept(first, { ...options, idempotencyWindowMs: 1_000 });
        const later = webhook({ idempotencyKey: 'short-window' });
        expect(await store.accept(later, { ...options, idempotencyWindowMs: 1_000 })).toMatchObject({ duplicate: false, webhookId: later.webhookId });
      });
    });

    describe('claimDue and recordAttempt', () => {
      it('hands each due pair to one caller only, even to concurrent callers of two stores', async () => {
        const other = await open();
        const deliveries = Array.from({ length: 20 }, () => webhook({ targets: [target(1), target(2)] }));
        for (const delivery of deliveries) await store.accept(delivery, { ...options, leaseMs: 1 });
        await sleep(50);
        const ids = new Set(deliveries.map((d) => d.webhookId));
        const seen: string[] = [];
        const deadline = Date.now() + 5_000;
        while (seen.length < 40 && Date.now() < deadline) {
          const batches = await Promise.all([store.claimDue(7, 10_000), other.claimDue(7, 10_000)]);
          for (const work of batches.flat()) if (ids.has(work.webhookId)) seen.push(`${work.webhookId}/${work.target}`);
        }
        expect(seen).toHaveLength(40);
        expect(new Set(seen).size).toBe(40);
      });

      it('keeps a delivered pair delivered, with its attempt in the log', async () => {
        const delivery = webhook();
        await store.accept(delivery, options);
        await store.recordAttempt(delivery.webhookId, 0, attempt(0, 200), { state: 'delivered' });
        const read = await store.get('org-a', delivery.webhookId);
        expect(read).toMatchObject({ state: 'delivered', attempts: 1, lastError: '', targets: [{ state: 'delivered', attempts: 1 }] });
        expect(read?.attemptLog).toEqual([expect.objectContaining({ target: 0, httpStatus: 200, latencyMs: 12, error: '' })]);
        await sleep(options.leaseMs + 100);
        expect((await store.claimDue(50, options.leaseMs)).filter((w) => w.webhookId === delivery.webhookId)).toEqual([]);
      });

      it('holds a failed pair back until its next attempt is due, then hands it out as the next attempt', async () => {
        const delivery = webhook();
        await store.accept(delivery, options);
        const nextAttemptAt = new Date(Date.now() + 700);
        await store.recordAttempt(delivery.webhookId, 0, attempt(0, 503, 'book answered HTTP 503'), { state: 'failed', nextAttemptAt });
        const read = await store.get('org-a', delivery.webhookId);
        expect(read).toMatchObject({ state: 'failed', attempts: 1, lastError: 'book answered HTTP 503' });
        expect(read?.nextAttemptAt?.getTime()).toBe(nextAttemptAt.getTime());
        expect(read?.targets[0]?.nextAttemptAt?.getTime()).toBe(nextAttemptAt.getTime());

        expect((await store.claimDue(50, options.leaseMs)).filter((w) => w.webhookId === delivery.webhookId)).toEqual([]);
        const [work] = await claimEventually(store, delivery.webhookId);
        expect(Date.now()).toBeGreaterThanOrEqual(nextAttemptAt.getTime() - 50);
        expect(work?.attempt).toBe(2);
      });

      it('keeps a pair held for a suspended instance pending, with no attempt spent or logged, until it is due again', async () => {
        const delivery = webhook();
        await store.accept(delivery, options);
        for (let hold = 0; hold < 3; hold += 1) {
          const nextAttemptAt = new Date(Date.now() + 400);
          await store.recordAttempt(delivery.webhookId, 0, attempt(0, 0, 'instance is suspended'), { state: 'held', nextAttemptAt });
          const read = await store.get('org-a', delivery.webhookId);
          expect(read).toMatchObject({ state: 'pending', attempts: 0, targets: [{ state: 'pending', attempts: 0 }] });
          expect(read?.attemptLog).toEqual([]);
          expect((await store.claimDue(50, options.leaseMs)).filter((w) => w.webhookId === delivery.webhookId)).toEqual([]);
          const [work] = await claimEventually(store, delivery.webhookId);
          expect(Date.now()).toBeGreaterThanOrEqual(nextAttemptAt.getTime() - 50);
          // Still the first attempt, however long the hold lasted.
          expect(work?.attempt).toBe(1);
        }
        await store.recordAttempt(delivery.webhookId, 0, attempt(0, 200), { state: 'delivered' });
        expect(await store.get('org-a', delivery.webhookId)).toMatchObject({ state: 'delivered', attempts: 1 });
      });

      it('delivers and dead-letters each target on its own; the delivery is dead-lettered once nothing is left to try', async () => {
        const delivery = webhook({ targets: [target(1), target(2)] });
        await store.accept(delivery, options);
        await store.recordAttempt(delivery.webhookId, 0, attempt(0, 200), { state: 'delivered' });
        await store.recordAttempt(delivery.webhookId, 1, attempt(1, 500, 'book answered HTTP 500'), { state: 'failed', nextAttemptAt: new Date(Date.now() + 100) });
        expect((await store.get('org-a', delivery.webhookId))?.state).toBe('failed');

        const work = await claimEventually(store, delivery.webhookId);
        expect(work.map((w) => w.target)).toEqual([1]);
        await store.recordAttempt(delivery.webhookId, 1, attempt(1, 400, 'book answered HTTP 400'), { state: 'dead_lettered' });
        const read = await store.get('org-a', delivery.webhookId);
        expect(read).toMatchObject({
          state: 'dead_lettered',
          attempts: 3,
          lastError: 'book answered HTTP 400',
          targets: [{ state: 'delivered', attempts: 1 }, { state: 'dead_lettered', attempts: 2 }],
        });
        expect(read?.nextAttemptAt).toBeUndefined();
        expect(read?.attemptLog.map((a) => [a.target, a.httpStatus])).toEqual([[0, 200], [1, 500], [1, 400]]);
      });
    });

    describe('get and list', () => {
      it('shows an organisation only its own deliveries', async () => {
        const mine = webhook();
        const theirs = webhook({ organizationId: 'org-b', targets: [target(1, 'org-b')] });
        await store.accept(mine, options);
        await store.accept(theirs, options);
        expect(await store.get('org-b', mine.webhookId)).toBeUndefined();
        expect(await store.get('org-a', theirs.webhookId)).toBeUndefined();
        expect(await store.get('org-a', randomUUID())).toBeUndefined();
        const listed = await store.list({ organizationId: 'org-b' }, { pageSize: 500 });
        expect(listed.deliveries.map((d) => d.webhookId)).toContain(theirs.webhookId);
        expect(listed.deliveries.every((d) => d.organizationId === 'org-b')).toBe(true);
      });

      it('lists newest first, page by page, filtered by source, state and time', async () => {
        const organizationId = `org-${randomUUID()}`;
        const base = Date.now() - 60_000;
        const made = [];
        for (let i = 0; i < 7; i++) {
          const delivery = webhook({ organizationId, source: i % 2 ? 'github' : 'zendesk', receivedAt: new Date(base + i * 1_000), targets: [target(i, organizationId)] });
          await store.accept(delivery, options);
          made.push(delivery);
        }
        await store.recordAttempt(nth(made, 6).webhookId, 0, attempt(0, 200), { state: 'delivered' });

        const ids: string[] = [];
        let pageToken = '';
        do {
          const page = await store.list({ organizationId }, { pageSize: 3, pageToken });
          expect(page.deliveries.length).toBeLessThanOrEqual(3);
          ids.push(...page.deliveries.map((d) => d.webhookId));
          pageToken = page.nextPageToken;
        } while (pageToken);
        expect(ids).toEqual(made.map((d) => d.webhookId).reverse());

        const github = await store.list({ organizationId, source: 'github' }, { pageSize: 50 });
        expect(github.deliveries.map((d) => d.webhookId)).toEqual([made[5], made[3], made[1]].map((d) => d?.webhookId));
        const delivered = await store.list({ organizationId, state: 'delivered' }, { pageSize: 50 });
        expect(delivered.deliveries.map((d) => d.webhookId)).toEqual([nth(made, 6).webhookId]);
        // A list leaves the attempts out; get() has them.
        expect(delivered.deliveries[0]?.attemptLog).toEqual([]);
        expect((await store.get(organizationId, nth(made, 6).webhookId))?.attemptLog).toHaveLength(1);
        const pending = await store.list({ organizationId, state: 'pending' }, { pageSize: 50 });
        expect(pending.deliveries).toHaveLength(6);
        const window = await store.list({ organizationId, receivedAfter: new Date(base + 2_000), receivedBefore: new Date(base + 4_000) }, { pageSize: 50 });
        expect(window.deliveries.map((d) => d.webhookId)).toEqual([made[3], made[2]].map((d) => d?.webhookId));
      });

      it('refuses a page token it did not make', async () => {
        await expect(store.list({ organizationId: 'org-a' }, { pageSize: 5, pageToken: 'not-a-token' })).rejects.toBeInstanceOf(InvalidPageToken);
      });
    });

    describe('replay', () => {
      it('makes a dead-lettered delivery due again at once; the attempt count goes on', async () => {
        const delivery = webhook({ targets: [target(1), target(2)] });
        await store.accept(delivery, options);
        await store.recordAttempt(delivery.webhookId, 0, attempt(0, 200), { state: 'delivered' });
        await store.recordAttempt(delivery.webhookId, 1, attempt(1, 410, 'book answered HTTP 410'), { state: 'dead_lettered' });

        expect(await store.replay({ organizationId: 'org-b', webhookIds: [delivery.webhookId] }, 10)).toEqual([]);
        expect(await store.replay({ organizationId: 'org-a', webhookIds: [delivery.webhookId] }, 10)).toEqual([delivery.webhookId]);
        expect((await store.get('org-a', delivery.webhookId))?.state).toBe('pending');
        // Only the dead-lettered target is sent again.
        const work = await claimEventually(store, delivery.webhookId, 2_000);
        expect(work.map((w) => [w.target, w.attempt])).toEqual([[1, 2]]);
        await store.recordAttempt(delivery.webhookId, 1, attempt(1, 200), { state: 'delivered' });
        expect(await store.get('org-a', delivery.webhookId)).toMatchObject({ state: 'delivered', attempts: 3 });
      });

      it('replays every target of a delivered delivery, and skips one still being retried', async () => {
        const delivered = webhook();
        const retrying = webhook();
        await store.accept(delivered, options);
        await store.accept(retrying, options);
        await store.recordAttempt(delivered.webhookId, 0, attempt(0, 200), { state: 'delivered' });
        await store.recordAttempt(retrying.webhookId, 0, attempt(0, 503), { state: 'failed', nextAttemptAt: new Date(Date.now() + 60_000) });
        expect(await store.replay({ organizationId: 'org-a', webhookIds: [delivered.webhookId, retrying.webhookId] }, 10)).toEqual([delivered.webhookId]);
        const [work] = await claimEventually(store, delivered.webhookId, 2_000);
        expect(work?.attempt).toBe(2);
      });

      it('replays in bulk by filter: the dead letters of one source received in a time range, up to a limit', async () => {
        const organizationId = `org-${randomUUID()}`;
        const base = Date.now() - 60_000;
        const dead = [];
        for (let i = 0; i < 5; i++) {
          const delivery = webhook({ organizationId, source: i < 4 ? 'stripe' : 'github', receivedAt: new Date(base + i * 1_000), targets: [target(i, organizationId)] });
          await store.accept(delivery, options);
          await store.recordAttempt(delivery.webhookId, 0, attempt(0, 500), { state: 'dead_lettered' });
          dead.push(delivery);
        }
        const replayed = await store.replay({ organizationId, source: 'stripe', state: 'dead_lettered', receivedAfter: new Date(base + 1_000) }, 2);
        expect(replayed).toHaveLength(2);
        expect(dead.slice(1, 4).map((d) => d.webhookId)).toEqual(expect.arrayContaining(replayed));
        const rest = await store.replay({ organizationId, source: 'stripe', state: 'dead_lettered', receivedAfter: new Date(base + 1_000) }, 10);
        expect(rest).toHaveLength(1);
        expect((await store.get(organizationId, nth(dead, 0).webhookId))?.state).toBe('dead_lettered');
        expect((await store.get(organizationId, nth(dead, 4).webhookId))?.state).toBe('dead_lettered');
      });
    });

    describe('purge and stats', () => {
      it('forgets finished deliveries older than the retention and keeps those still owed', async () => {
        const organizationId = `org-${randomUUID()}`;
        const old = new Date(Date.now() - 3_600_000);
        const finished = webhook({ organizationId, receivedAt: old, targets: [target(1, organizationId)] });
        const owed = webhook({ organizationId, receivedAt: old, targets: [target(2, organizationId)] });
        const recent = webhook({ organizationId, targets: [target(3, organizationId)] });
        for (const d of [finished, owed, recent]) await store.accept(d, options);
        for (const d of [finished, recent]) await store.recordAttempt(d.webhookId, 0, attempt(0, 200), { state: 'delivered' });
        expect(await store.purge(new Date(Date.now() - 60_000), new Date())).toBeGreaterThanOrEqual(1);
        expect(await store.get(organizationId, finished.webhookId)).toBeUndefined();
        expect(await store.get(organizationId, owed.webhookId)).toBeDefined();
        expect(await store.get(organizationId, recent.webhookId)).toBeDefined();
      });

      it('counts what is owed, per instance, and how old the oldest is', async () => {
        const before = await store.stats();
        const first = webhook({ receivedAt: new Date(Date.now() - 120_000), targets: [target(1), target(2)] });
        const second = webhook();
        await store.accept(first, options);
        await store.accept(second, options);
        await store.recordAttempt(second.webhookId, 0, attempt(0, 500), { state: 'dead_lettered' });
        const after = await store.stats();
        expect(after.pending - before.pending).toBe(2);
        expect(after.deadLettered - before.deadLettered).toBe(1);
        expect(after.pendingByInstance[nth(first.targets, 0).instanceId]).toBe(1);
        expect(after.pendingByInstance[nth(first.targets, 1).instanceId]).toBe(1);
        expect(after.pendingByInstance[nth(second.targets, 0).instanceId]).toBeUndefined();
        expect(after.oldestPendingReceivedAt?.getTime()).toBeLessThanOrEqual(first.receivedAt.getTime());
        for (const t of [0, 1]) await store.recordAttempt(first.webhookId, t, attempt(t, 200), { state: 'delivered' });
      });
    });

    describe('exportAll and importAll', () => {
      /** The store's deliveries of one organisation, as exported. */
      async function exportedOf(s: DeliveryStore, organizationId: string): Promise<ExportedDelivery[]> {
        const found: ExportedDelivery[] = [];
        for await (const delivery of s.exportAll()) if (delivery.organizationId === organizationId) found.push(delivery);
        return found;
      }

      it('exports every delivery whole, and an import elsewhere keeps ids, states, attempts and payloads; what was owed is due again', async () => {
        const organizationId = `org-${randomUUID()}`;
        const base = Date.now() - 60_000;
        const make = (n: number, headers: Record<string, string> = { 'x-webhook-event': 'ticket.created' }) =>
          webhook({ organizationId, receivedAt: new Date(base + n), targets: [target(n, organizationId)], headers });
        const delivered = make(1);
        const failed = make(2);
        const deadLettered = make(3);
        const pending = make(4, { 'x-github-delivery': 'abc' });
        pending.payload = Uint8Array.from([0, 255, 1, 254]);
        for (const d of [delivered, failed, deadLettered, pending]) await store.accept(d, { ...options, leaseMs: 1 });
        await store.recordAttempt(delivered.webhookId, 0, attempt(0, 200), { state: 'delivered' });
        const retryAt = new Date(Date.now() + 120_000);
        await store.recordAttempt(failed.webhookId, 0, attempt(0, 503, 'book answered HTTP 503'), { state: 'failed', nextAttemptAt: retryAt });
        await store.recordAttempt(deadLettered.webhookId, 0, attempt(0, 500, 'book answered HTTP 500'), { state: 'failed', nextAttemptAt: new Date() });
        await store.recordAttempt(deadLettered.webhookId, 0, attempt(0, 404, 'book answered HTTP 404'), { state: 'dead_lettered' });

        const exported = await exportedOf(store, organizationId);
        expect(exported.map((d) => d.webhookId)).toEqual([delivered, failed, deadLettered, pending].map((d) => d.webhookId));
        const [exportedFailed, exportedDead, exportedPending] = [nth(exported, 1), nth(exported, 2), nth(exported, 3)];
        expect(exportedFailed).toMatchObject({ organizationId, source: 'zendesk', event: 'ticket.created', lastError: 'book answered HTTP 503' });
        expect(exportedFailed.targets).toEqual([expect.objectContaining({ ...failed.targets[0], state: 'failed', attempts: 1, nextAttemptAt: retryAt })]);
        expect(exportedDead.attemptLog.map((a) => a.httpStatus)).toEqual([500, 404]);
        expect(exportedDead.targets[0]).toMatchObject({ state: 'dead_lettered', attempts: 2 });
        expect(Buffer.from(exportedPending.payload).equals(Buffer.from([0, 255, 1, 254]))).toBe(true);
        expect(exportedPending.headers).toEqual({ 'x-github-delivery': 'abc' });
        expect(exportedPending.receivedAt.getTime()).toBe(pending.receivedAt.getTime());

        // The same store stands in for another one: the copies get an organisation and ids of their own.
        const copyOrganization = `org-${randomUUID()}`;
        const copyIds = new Map(exported.map((d) => [d.webhookId, uuidv7()]));
        const copies = exported.map((d) => ({ ...d, organizationId: copyOrganization, webhookId: copyIds.get(d.webhookId) ?? '' }));
        await store.close();
        const other = await open();
        expect(await other.importAll(copies)).toEqual({ imported: 4, skipped: 0 });

        for (const original of exported) {
          const copy = await other.get(copyOrganization, copyIds.get(original.webhookId) ?? '');
          const source = await other.get(organizationId, original.webhookId);
          expect(copy).toEqual({ ...source, organizationId: copyOrganization, webhookId: copyIds.get(original.webhookId) });
        }
        // The pending pair is due at once with its exact bytes; the failed one waits for its retry; finished ones never come.
        const [work] = await claimEventually(other, copyIds.get(pending.webhookId) ?? '');
        expect(work).toMatchObject({ attempt: 1, organizationId: copyOrganization, destination: pending.targets[0], headers: { 'x-github-delivery': 'abc' } });
        expect(Buffer.from(work?.payload ?? []).equals(Buffer.from([0, 255, 1, 254]))).toBe(true);
        await sleep(300);
        const later = await other.claimDue(50, options.leaseMs);
        const notDue = [delivered, failed, deadLettered].map((d) => copyIds.get(d.webhookId));
        expect(later.filter((w) => notDue.includes(w.webhookId))).toEqual([]);
        expect(await other.list({ organizationId: copyOrganization, state: 'failed' }, { pageSize: 10 })).toMatchObject({
          deliveries: [{ webhookId: copyIds.get(failed.webhookId), nextAttemptAt: retryAt }],
        });

        // Importing what is there already changes nothing.
        expect(await other.importAll(exported)).toEqual({ imported: 0, skipped: 4 });
        expect(await other.get(organizationId, delivered.webhookId)).toMatchObject({ state: 'delivered', attempts: 1 });
      });
    });
  });
}
