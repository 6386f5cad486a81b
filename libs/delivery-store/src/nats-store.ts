// The delivery store on NATS JetStream, for several router replicas sharing one queue.
//
// Where things live (names from nats-names.ts):
// - records bucket (KV, one revision per key): a delivery's metadata, each target's state, lease and ticket, and
//   the attempt log, key `<org>.<webhookId>`, so an organisation's deliveries are one key filter. Every change is a
//   compare-and-set on the key's revision: two replicas never overwrite each other, the loser reads and retries.
// - payloads bucket: the body, written once, same key (the record is rewritten at every attempt; the body is not).
// - idempotency bucket: `<org>.<digest of source and sender id>` -> the original's id and when its window ends,
//   written with `expected last sequence` (the first writer wins) and a per-message TTL of the window, so the
//   server forgets the key when the window ends.
// - work stream (work-queue retention) with one durable pull consumer that every replica pulls from: one message
//   per (webhook, target) pair still owed an attempt. The record is the truth; a message only says "look at this
//   pair". A message pulled before the pair is due (its lease or its retry time lies ahead) goes back with a
//   delay of what is left; one whose pair is finished, or whose ticket is no longer the pair's, is acknowledged
//   away. Claiming marks the pair leased in the record (compare-and-set) and hands the message back with a delay
//   of the lease: if the claiming replica dies, the broker delivers it again when the lease ends, to anyone.
// Lists, replays, purge and stats read the records (an organisation's, or all) with batched direct gets, so their
// cost grows with what retention keeps; claims and attempts touch one record each.
//
// Durability: accept resolves after JetStream acknowledged each write, and on file storage that acknowledgement
// comes after the write reached the stream's file (one server: written to the OS before the ack). So an accepted
// webhook survives a crash (kill -9) of the router and of nats-server. A crash of the machine loses what the OS had
// not yet flushed (nats-server syncs every two minutes by default): against that, run nats-server with
// `jetstream { sync_interval: always }`, or three servers with `replicas: 3`, where the ack waits for a quorum.
//
// Every call is a JetStream request with a deadline (`timeoutMs`): while nats-server restarts, calls fail with
// an error (the router answers 503) and the client reconnects by itself, forever; nothing waits for ever and
// nothing needs reopening. A lost acknowledgement of a work message is harmless: the consumer delivers it again
// after `ackWaitMs` and its record decides again. A server killed with SIGKILL keeps its messages but may lose
// the consumer's most recent delays (its state is flushed a moment after the fact), and would then hold those
// messages until their ack wait ran out; so after every reconnect the store resets the consumer to its ack floor:
// every message still owed is delivered again at once, judged by its record and held back for exactly the time
// its lease or retry has left.
import { AckPolicy, DeliverPolicy, JetStreamApiCodes, JetStreamApiError, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  AcceptResult,
  AttemptOutcome,
  Delivery,
  DeliveryAttempt,
  DeliveryFilter,
  DeliveryPage,
  DeliveryStore,
  DueWork,
  ExportedDelivery,
  ImportResult,
  NewDelivery,
  QueueStats,
} from './delivery-store.js';
import { decodePageToken, encodePageToken } from './delivery-summary.js';
import { findKey, scanBucket } from './nats-bucket-scan.js';
import { anyOrganizationKey, deliveryKey, idempotencyKey, natsStoreNames, organizationFilter, type NatsStoreNames } from './nats-names.js';
import {
  decodeJson,
  encodeJson,
  isFinished,
  newRecord,
  recordState,
  toDelivery,
  type StoredDelivery,
  type StoredTarget,
  type WorkItem,
} from './nats-record.js';
import { pullNow, type WorkMessage } from './nats-work-queue.js';

export interface NatsDeliveryStoreOptions {
  /** nats://host:port, or several (the servers of a cluster); user and password may be in the URL. */
  servers: string | string[];
  /** Prefix of the buckets, stream and consumer (letters, digits, '-', '_'): routers with one name share one store. */
  name?: string;
  /** Replicas of the buckets and the work stream: 1 on a single server, 3 in a cluster of three. */
  replicas?: number;
  /** Deadline of each JetStream call, and so the longest a call waits while the client reconnects. */
  timeoutMs?: number;
  /** When a work message pulled by a replica that died before answering it is delivered again. */
  ackWaitMs?: number;
  /** The client's name in the server's connection list. */
  connectionName?: string;
}

const defaults = { name: 'bdk-deliveries', replicas: 1, timeoutMs: 5_000, ackWaitMs: 30_000, connectionName: 'bdk-webhook-router' };

/** How long a work message whose record is missing is kept: its accept may still be writing the record. */
const orphanGraceMs = 60_000;
/** How long a work message whose ticket the record does not name yet may still be the newest. */
const newTicketGraceMs = 30_000;
/** How long an accept waits for the original of a sender's retry to be recorded by another replica. */
const originalWaitMs = 2_000;
/** Compare-and-set rounds before a write gives up under contention. */
const maxRounds = 25;

interface HeldLease {
  leaseId: string;
  until: number;
  /** The work message this store pulled for the pair and handed back with the lease's delay. */
  message?: WorkMessage;
  ticket?: string;
}

export async function openNatsDeliveryStore(options: NatsDeliveryStoreOptions): Promise<DeliveryStore> {
  const settings = { ...defaults, ...options };
  const names = natsStoreNames(settings.name);
  const nc = await connect({
    servers: settings.servers,
    name: settings.connectionName,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    timeout: settings.timeoutMs,
    // A server that vanished without closing the socket is noticed within about 15 s.
    pingInterval: 5_000,
    maxPingOut: 3,
  });
  try {
    const jsm = await jetstreamManager(nc, { timeout: settings.timeoutMs });
    const js = jsm.jetstream();
    const buckets = await openBuckets(js, names, settings.replicas);
    await ensureWorkQueue(jsm, names, settings.replicas, settings.ackWaitMs);
    return natsDeliveryStore({ nc, jsm, js, names, ...buckets, timeoutMs: settings.timeoutMs });
  } catch (error) {
    await nc.close();
    throw error;
  }
}

async function openBuckets(js: JetStreamClient, names: NatsStoreNames, replicas: number) {
  const kvm = new Kvm(js);
  const common = { history: 1, storage: StorageType.File, replicas };
  return {
    records: await kvm.create(names.records, { ...common, description: 'BDK webhook deliveries: state and attempts' }),
    payloads: await kvm.create(names.payloads, { ...common, description: 'BDK webhook deliveries: bodies' }),
    // markerTTL turns on per-message TTLs (allow_msg_ttl); the markers left when a key expires go after a minute.
    idempotency: await kvm.create(names.idempotency, { ...common, markerTTL: 60_000, description: 'BDK webhook senders\u2019 delivery ids' }),
  };
}

async function ensureWorkQueue(jsm: JetStreamManager, names: NatsStoreNames, replicas: number, ackWaitMs: number): Promise<void> {
  try {
    await jsm.streams.info(names.workStream);
  } catch (error) {
    if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound)) throw error;
    await jsm.streams.add({
      name: names.workStream,
      description: 'BDK webhook deliveries: (webhook, target) pairs owed an attempt',
      subjects: [names.workSubject],
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
      num_replicas: replicas,
    });
  }
  const consumer = {
    ack_policy: AckPolicy.Explicit,
    ack_wait: ackWaitMs * 1_000_000,
    // Retries are as many as the retry policy says, and held back (nak with a delay) for as long as it says:
    // neither the broker's delivery count nor its count of messages out is a limit here.
    max_deliver: -1,
    max_ack_pending: -1,
  };
  try {
    await jsm.consumers.info(names.workStream, names.consumer);
    await jsm.consumers.update(names.workStream, names.consumer, consumer);
  } catch (error) {
    if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.ConsumerNotFound)) throw error;
    await jsm.consumers.add(names.workStream, { durable_name: names.consumer, deliver_policy: DeliverPolicy.All, ...consumer });
  }
}

function isConflict(error: unknown): boolean {
  return (
    error instanceof JetStreamApiError &&
    (error.code === JetStreamApiCodes.StreamWrongLastSequence || error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

interface StoreParts {
  nc: Awaited<ReturnType<typeof connect>>;
  jsm: JetStreamManager;
  js: JetStreamClient;
  names: NatsStoreNames;
  records: KV;
  payloads: KV;
  idempotency: KV;
  timeoutMs: number;
}

function natsDeliveryStore({ nc, jsm, js, names, records, payloads, idempotency, timeoutMs }: StoreParts): DeliveryStore {
  // The leases this store instance holds (from accept or claimDue), by pair: recordAttempt answers their work
  // message and can tell when a lease has gone to another replica in the meantime.
  const held = new Map<string, HeldLease>();
  // Which organisation a webhook belongs to, for recordAttempt, which is given the webhook id alone.
  const organizations = new Map<string, string>();
  const pairKey = (webhookId: string, target: number) => `${webhookId}/${target}`;

  function remember(webhookId: string, organizationId: string): void {
    organizations.delete(webhookId);
    organizations.set(webhookId, organizationId);
    if (organizations.size > 10_000) organizations.delete(organizations.keys().next().value as string);
  }

  function forgetStaleLeases(now: number): void {
    // A lease nobody recorded an attempt for within ten minutes of its end is of no use to keep.
    for (const [pair, lease] of held) if (lease.until < now - 600_000) held.delete(pair);
  }

  async function readRecord(key: string): Promise<{ record: StoredDelivery; revision: number } | undefined> {
    const entry = await records.get(key);
    if (!entry || entry.operation !== 'PUT') return undefined;
    return { record: decodeJson<StoredDelivery>(entry.value), revision: entry.revision };
  }

  async function publishWork(item: Omit<WorkItem, 'ticket' | 'publishedAt'>): Promise<string> {
    const ticket = randomUUID();
    const body: WorkItem = { ...item, ticket, publishedAt: Date.now() };
    await js.publish(names.workSubject, encodeJson(body), { timeout: timeoutMs });
    return ticket;
  }

  /**
   * The original of a sender's retry, or undefined when this delivery is the first in its window (and the key is
   * now its own).
   */
  async function originalOf(delivery: NewDelivery, windowMs: number): Promise<Delivery | undefined> {
    if (!delivery.idempotencyKey) return undefined;
    const key = idempotencyKey(delivery.organizationId, delivery.source, delivery.idempotencyKey);
    const received = delivery.receivedAt.getTime();
    const expiresAt = received + windowMs;
    const waitUntil = Date.now() + originalWaitMs;
    for (let round = 0; round < maxRounds * 2; round += 1) {
      const entry = await idempotency.get(key);
      const seen = entry?.operation === 'PUT' ? decodeJson<{ webhookId: string; expiresAt: number }>(entry.value) : undefined;
      if (seen && seen.expiresAt > received && seen.webhookId !== delivery.webhookId) {
        const original = await readRecord(deliveryKey(delivery.organizationId, seen.webhookId));
        if (original) return toDelivery(original.record);
        // Another replica may be between writing the key and writing the record. Past a moment, the original was
        // purged or its accept failed, and this delivery takes the key over.
        if (Date.now() < waitUntil) {
          await sleep(100);
          continue;
        }
      }
      const left = expiresAt - Date.now();
      if (left <= 0) return undefined; // the window is over already: there is nothing to remember
      try {
        await js.publish(`$KV.${names.idempotency}.${key}`, encodeJson({ webhookId: delivery.webhookId, expiresAt }), {
          expect: { lastSubjectSequence: entry?.revision ?? 0 },
          ttl: `${Math.ceil(left / 1000) + 1}s`,
          timeout: timeoutMs,
        });
        return undefined;
      } catch (error) {
        if (!isConflict(error)) throw error;
      }
    }
    throw new Error('the sender\u2019s delivery id is contended: too many concurrent writers');
  }

  async function accept(delivery: NewDelivery, options: { leaseMs: number; idempotencyWindowMs: number }): Promise<AcceptResult> {
    const original = await originalOf(delivery, options.idempotencyWindowMs);
    if (original) return { duplicate: true, webhookId: original.webhookId, original };

    const key = deliveryKey(delivery.organizationId, delivery.webhookId);
    const pair = { organizationId: delivery.organizationId, webhookId: delivery.webhookId };
    // The work messages and the payload go first, the record last: a record never points at missing work, and
    // work without a record (this accept failed half-way) is dropped when its grace ends.
    const [tickets] = await Promise.all([
      Promise.all(delivery.targets.map((_, target) => publishWork({ ...pair, target }))),
      payloads.put(key, delivery.payload, { timeout: timeoutMs }),
    ]);
    const lease = { id: randomUUID(), until: Date.now() + options.leaseMs };
    await records.create(key, encodeJson(newRecord(delivery, tickets, lease, Date.now())));
    delivery.targets.forEach((_, target) => held.set(pairKey(delivery.webhookId, target), { leaseId: lease.id, until: lease.until }));
    remember(delivery.webhookId, delivery.organizationId);
    return { duplicate: false, webhookId: delivery.webhookId };
  }

  /** Decides what one pulled work message means now: a claim, or an answer to the broker. */
  async function consider(message: WorkMessage, leaseMs: number): Promise<DueWork | undefined> {
    let item: WorkItem;
    let key: string;
    try {
      item = decodeJson<WorkItem>(message.data);
      key = deliveryKey(item.organizationId, item.webhookId);
    } catch {
      message.term();
      return undefined;
    }
    let payload: Uint8Array | undefined;
    for (let round = 0; round < maxRounds; round += 1) {
      const current = await readRecord(key);
      const now = Date.now();
      if (!current) {
        if (now - item.publishedAt <= orphanGraceMs) {
          message.nakAfter(1_000);
          return undefined;
        }
        // The accept that published it failed before writing the record (or the delivery was purged since):
        // its payload goes too, or nothing else would ever remove it.
        await jsm.streams.purge(`KV_${names.payloads}`, { filter: `$KV.${names.payloads}.${key}` });
        message.ack();
        return undefined;
      }
      const { record, revision } = current;
      const target = record.targets[item.target];
      // A retry's or a replay's new message is published just before the record naming its ticket is written:
      // fetched in between, it looks stale. While it is young it is looked at again, less often as it ages,
      // rather than dropped; a message that is really stale is dropped once the grace is over.
      const age = now - item.publishedAt;
      if (target && target.ticket !== item.ticket && age <= newTicketGraceMs) {
        message.nakAfter(Math.min(5_000, Math.max(250, age / 4)));
        return undefined;
      }
      if (!target || target.ticket !== item.ticket || isFinished(target.state)) {
        message.ack();
        return undefined;
      }
      // A pending pair has a next attempt time only while it is held for a suspended instance.
      const heldBackUntil = Math.max(target.leaseUntil ?? 0, target.state === 'failed' || target.state === 'pending' ? (target.nextAttemptAt ?? 0) : 0);
      if (heldBackUntil > now) {
        message.nakAfter(heldBackUntil - now);
        return undefined;
      }
      if (!payload) {
        const stored = await payloads.get(key);
        if (!stored || stored.operation !== 'PUT') throw new Error(`the payload of ${item.webhookId} is missing`);
        payload = stored.value;
      }
      const lease = { leaseId: randomUUID(), until: now + leaseMs };
      target.leaseUntil = lease.until;
      target.leaseId = lease.leaseId;
      try {
        await records.update(key, encodeJson(record), revision);
      } catch (error) {
        if (isConflict(error)) continue;
        throw error;
      }
      message.nakAfter(leaseMs);
      held.set(pairKey(item.webhookId, item.target), { ...lease, message, ticket: item.ticket });
      remember(record.webhookId, record.organizationId);
      return {
        webhookId: record.webhookId,
        target: item.target,
        organizationId: record.organizationId,
        source: record.source,
        event: record.event,
        contentType: record.contentType,
        payload,
        headers: record.headers,
        destination: { namespace: target.namespace, name: target.name, instanceId: target.instanceId, routedTo: target.routedTo },
        attempt: target.attempts + 1,
        receivedAt: new Date(record.receivedAt),
      };
    }
    // Contended past reason: someone else is busy with this delivery; look again shortly.
    message.nakAfter(100);
    return undefined;
  }

  async function claimDue(limit: number, leaseMs: number): Promise<DueWork[]> {
    if (limit <= 0) return [];
    forgetStaleLeases(Date.now());
    const claimed: DueWork[] = [];
    let firstError: unknown;
    // Messages pulled but not due go back with a delay, so a further pull reaches the ones behind them.
    for (let round = 0; round < 4 && claimed.length < limit; round += 1) {
      const messages = await pullNow(nc, names.workStream, names.consumer, limit - claimed.length, timeoutMs);
      if (messages.length === 0) break;
      const results = await Promise.allSettled(
        messages.map((message) =>
          consider(message, leaseMs).catch((error: unknown) => {
            message.nakAfter(1_000);
            throw error;
          }),
        ),
      );
      for (const result of results) {
        if (result.status === 'fulfilled') {
          if (result.value) claimed.push(result.value);
        } else {
          firstError ??= result.reason;
        }
      }
      if (firstError) break;
    }
    if (claimed.length === 0 && firstError) throw firstError;
    return claimed;
  }

  async function keyOf(webhookId: string): Promise<string | undefined> {
    const organizationId = organizations.get(webhookId);
    if (organizationId !== undefined) return deliveryKey(organizationId, webhookId);
    return (await findKey(jsm, names.records, anyOrganizationKey(webhookId)))?.key;
  }

  async function recordAttempt(webhookId: string, target: number, attempt: DeliveryAttempt, outcome: AttemptOutcome): Promise<void> {
    const key = await keyOf(webhookId);
    if (!key) throw new Error(`no delivery ${webhookId} to record an attempt of`);
    const lease = held.get(pairKey(webhookId, target));
    let freshTicket: string | undefined;
    let keptMessage = false;
    for (let round = 0; ; round += 1) {
      const current = await readRecord(key);
      if (!current) throw new Error(`no delivery ${webhookId} to record an attempt of`);
      const { record, revision } = current;
      const pair = record.targets[target];
      if (!pair) throw new Error(`delivery ${webhookId} has no target ${target}`);
      const now = Date.now();
      const isHeld = outcome.state === 'held';
      // A held trigger was not attempted: neither logged nor counted.
      if (!isHeld) {
        record.attemptLog.push({ at: attempt.at.getTime(), target, httpStatus: attempt.httpStatus, latencyMs: Math.round(attempt.latencyMs), error: attempt.error });
        pair.attempts += 1;
      }
      record.updatedAt = now;
      // This store's lease ran out and another replica holds the pair now: the attempt is logged, and what
      // happens next is that replica's to record.
      const takenOver = lease !== undefined && pair.leaseId !== lease.leaseId && (pair.leaseUntil ?? 0) > now;
      if (!takenOver) {
        pair.state = isHeld ? 'pending' : outcome.state;
        pair.lastError = attempt.error;
        record.lastError = attempt.error;
        delete pair.leaseUntil;
        delete pair.leaseId;
        delete pair.nextAttemptAt;
        keptMessage = false;
        if (outcome.state === 'failed' || outcome.state === 'held') {
          pair.nextAttemptAt = outcome.nextAttemptAt.getTime();
          // The message this store pulled for the pair can carry the retry; otherwise a new one does.
          keptMessage = lease?.message !== undefined && lease.ticket === pair.ticket;
          if (!keptMessage) {
            freshTicket ??= await publishWork({ organizationId: record.organizationId, webhookId, target });
            pair.ticket = freshTicket;
          }
        }
      }
      try {
        await records.update(key, encodeJson(record), revision);
      } catch (error) {
        if (isConflict(error) && round < maxRounds) continue;
        throw error;
      }
      held.delete(pairKey(webhookId, target));
      if (lease?.message && !takenOver) {
        if (keptMessage && (outcome.state === 'failed' || outcome.state === 'held')) lease.message.nakAfter(outcome.nextAttemptAt.getTime() - Date.now());
        else lease.message.ack();
      }
      return;
    }
  }

  async function get(organizationId: string, webhookId: string): Promise<Delivery | undefined> {
    let key: string;
    try {
      key = deliveryKey(organizationId, webhookId);
    } catch {
      return undefined; // not an id this store could have made
    }
    const current = await readRecord(key);
    if (!current || current.record.organizationId !== organizationId) return undefined;
    remember(webhookId, organizationId);
    return toDelivery(current.record);
  }

  async function recordsOf(filter: DeliveryFilter & { webhookIds?: string[] }): Promise<{ record: StoredDelivery; key: string; revision: number }[]> {
    const ids = filter.webhookIds ? new Set(filter.webhookIds) : undefined;
    const scanned = await scanBucket(jsm, names.records, organizationFilter(filter.organizationId));
    return scanned
      .map((entry) => ({ record: decodeJson<StoredDelivery>(entry.value), key: entry.key, revision: entry.revision }))
      .filter(({ record }) => {
        if (record.organizationId !== filter.organizationId) return false;
        if (ids && !ids.has(record.webhookId)) return false;
        if (filter.source && record.source !== filter.source) return false;
        if (filter.state && recordState(record) !== filter.state) return false;
        if (filter.receivedAfter && record.receivedAt < filter.receivedAfter.getTime()) return false;
        if (filter.receivedBefore && record.receivedAt >= filter.receivedBefore.getTime()) return false;
        return true;
      });
  }

  async function list(filter: DeliveryFilter, page: { pageSize: number; pageToken?: string }): Promise<DeliveryPage> {
    const after = page.pageToken ? decodePageToken(page.pageToken) : undefined;
    const newestFirst = (await recordsOf(filter))
      .map(({ record }) => record)
      .filter((r) => !after || r.receivedAt < after.receivedAt || (r.receivedAt === after.receivedAt && r.webhookId < after.webhookId))
      .sort((a, b) => b.receivedAt - a.receivedAt || (a.webhookId < b.webhookId ? 1 : a.webhookId > b.webhookId ? -1 : 0));
    const deliveries = newestFirst.slice(0, page.pageSize).map((record) => ({ ...toDelivery(record), attemptLog: [] }));
    const last = deliveries.at(-1);
    return { deliveries, nextPageToken: last && newestFirst.length > page.pageSize ? encodePageToken(last) : '' };
  }

  /** Makes one delivery due again if nothing of it is still owed; false when it is not replayable (any more). */
  async function replayOne(key: string): Promise<boolean> {
    const tickets = new Map<number, string>();
    for (let round = 0; round < maxRounds; round += 1) {
      const current = await readRecord(key);
      if (!current) return false;
      const { record, revision } = current;
      const state = recordState(record);
      if (!isFinished(state)) return false;
      // A fully delivered delivery goes to every target again; otherwise only what was dead-lettered.
      for (const [index, pair] of record.targets.entries()) {
        if (state !== 'delivered' && pair.state !== 'dead_lettered') continue;
        let ticket = tickets.get(index);
        if (ticket === undefined) {
          ticket = await publishWork({ organizationId: record.organizationId, webhookId: record.webhookId, target: index });
          tickets.set(index, ticket);
        }
        pair.state = 'pending';
        pair.ticket = ticket;
        delete pair.nextAttemptAt;
        delete pair.leaseUntil;
        delete pair.leaseId;
      }
      record.updatedAt = Date.now();
      try {
        await records.update(key, encodeJson(record), revision);
        return true;
      } catch (error) {
        if (!isConflict(error)) throw error;
      }
    }
    throw new Error('the delivery is contended: too many concurrent writers');
  }

  async function replay(filter: DeliveryFilter & { webhookIds?: string[] }, limit: number): Promise<string[]> {
    const oldestFirst = (await recordsOf(filter))
      .filter(({ record }) => isFinished(recordState(record)))
      .sort((a, b) => a.record.receivedAt - b.record.receivedAt || (a.record.webhookId < b.record.webhookId ? -1 : 1));
    const replayed: string[] = [];
    for (const { record, key } of oldestFirst) {
      if (replayed.length >= limit) break;
      if (await replayOne(key)) replayed.push(record.webhookId);
    }
    return replayed;
  }

  async function purge(before: Date, _now: Date): Promise<number> {
    // Idempotency keys need nothing here: each carries the TTL of its window, and the server drops it then.
    let deleted = 0;
    for (const entry of await scanBucket(jsm, names.records, '>')) {
      const record = decodeJson<StoredDelivery>(entry.value);
      if (record.receivedAt >= before.getTime() || !isFinished(recordState(record))) continue;
      // Deleting the revision that was read is the compare-and-set of a delete: a record changed since (replayed)
      // has another revision and stays. No tombstone is left behind.
      try {
        await jsm.streams.deleteMessage(`KV_${names.records}`, entry.revision, false);
      } catch (error) {
        // Refused (that revision is gone): the record changed or was purged by another replica.
        if (error instanceof JetStreamApiError) continue;
        throw error;
      }
      await jsm.streams.purge(`KV_${names.payloads}`, { filter: `$KV.${names.payloads}.${entry.key}` });
      deleted += 1;
    }
    return deleted;
  }

  async function stats(): Promise<QueueStats> {
    const pendingByInstance: Record<string, number> = {};
    let pending = 0;
    let deadLettered = 0;
    let oldest = Infinity;
    for (const entry of await scanBucket(jsm, names.records, '>')) {
      const record = decodeJson<StoredDelivery>(entry.value);
      for (const target of record.targets) {
        if (target.state === 'dead_lettered') deadLettered += 1;
        if (isFinished(target.state)) continue;
        pending += 1;
        pendingByInstance[target.instanceId] = (pendingByInstance[target.instanceId] ?? 0) + 1;
        oldest = Math.min(oldest, record.receivedAt);
      }
    }
    return { pending, deadLettered, ...(oldest === Infinity ? {} : { oldestPendingReceivedAt: new Date(oldest) }), pendingByInstance };
  }

  async function* exportAll(): AsyncGenerator<ExportedDelivery> {
    const oldestFirst = (await scanBucket(jsm, names.records, '>'))
      .map((entry) => ({ key: entry.key, record: decodeJson<StoredDelivery>(entry.value) }))
      .sort((a, b) => a.record.receivedAt - b.record.receivedAt || (a.record.webhookId < b.record.webhookId ? -1 : 1));
    for (const { key, record } of oldestFirst) {
      const payload = await payloads.get(key);
      // Purged between the scan and this read: it is gone, and so not part of the export.
      if (!payload || payload.operation !== 'PUT') continue;
      const { payloadSize: _size, state: _state, attempts: _attempts, nextAttemptAt: _next, ...delivery } = toDelivery(record);
      yield { ...delivery, payload: payload.value, headers: record.headers };
    }
  }

  async function importOne(delivery: ExportedDelivery): Promise<boolean> {
    const key = deliveryKey(delivery.organizationId, delivery.webhookId);
    if (await readRecord(key)) return false;
    // As in accept: work and payload first, the record last. A pending or failed pair gets a work message, and
    // the record's nextAttemptAt holds it back until it is due.
    const targets: StoredTarget[] = await Promise.all(
      delivery.targets.map(async (target, index): Promise<StoredTarget> => {
        const owed = !isFinished(target.state);
        return {
          namespace: target.namespace,
          name: target.name,
          instanceId: target.instanceId,
          routedTo: target.routedTo,
          state: target.state,
          attempts: target.attempts,
          lastError: target.lastError,
          ...(target.nextAttemptAt ? { nextAttemptAt: target.nextAttemptAt.getTime() } : {}),
          ticket: owed ? await publishWork({ organizationId: delivery.organizationId, webhookId: delivery.webhookId, target: index }) : '',
        };
      }),
    );
    await payloads.put(key, delivery.payload, { timeout: timeoutMs });
    const record: StoredDelivery = {
      webhookId: delivery.webhookId,
      organizationId: delivery.organizationId,
      source: delivery.source,
      event: delivery.event,
      contentType: delivery.contentType,
      payloadSize: delivery.payload.length,
      headers: delivery.headers,
      receivedAt: delivery.receivedAt.getTime(),
      updatedAt: delivery.updatedAt.getTime(),
      lastError: delivery.lastError,
      targets,
      attemptLog: delivery.attemptLog.map((attempt) => ({
        at: attempt.at.getTime(),
        target: attempt.target,
        httpStatus: attempt.httpStatus,
        latencyMs: Math.round(attempt.latencyMs),
        error: attempt.error,
      })),
    };
    try {
      await records.create(key, encodeJson(record));
    } catch (error) {
      // Another writer recorded the same webhook id meanwhile; the work published above is dropped as a leftover.
      if (isConflict(error)) return false;
      throw error;
    }
    return true;
  }

  async function importAll(deliveries: AsyncIterable<ExportedDelivery> | Iterable<ExportedDelivery>): Promise<ImportResult> {
    const result: ImportResult = { imported: 0, skipped: 0 };
    for await (const delivery of deliveries) result[(await importOne(delivery)) ? 'imported' : 'skipped'] += 1;
    return result;
  }

  let closed: Promise<void> | undefined;
  const closing = new AbortController();

  async function resetConsumerAfterReconnect(): Promise<void> {
    // JetStream may answer a moment after the connection is back (it is still recovering its streams).
    for (let round = 0; round < 120 && !closing.signal.aborted; round += 1) {
      try {
        await jsm.consumers.reset(names.workStream, names.consumer);
        return;
      } catch {
        await sleep(500, undefined, { signal: closing.signal }).catch(() => undefined);
      }
    }
  }
  void (async () => {
    for await (const status of nc.status()) if (status.type === 'reconnect') void resetConsumerAfterReconnect();
  })();

  return {
    accept,
    claimDue,
    recordAttempt,
    get,
    list,
    replay,
    purge,
    stats,
    exportAll,
    importAll,
    close() {
      closing.abort();
      closed ??= (async () => {
        if (nc.isClosed()) return;
        // Answers to work messages (acks, delays) still in the client's buffer go out first. A server that does
        // not answer the flush within a second misses them, which only means those messages come back after the
        // consumer's ack wait.
        await settledWithin(nc.flush(), 1_000);
        await nc.close();
      })();
      return closed;
    },
  };
}

/** Waits for `promise` to settle, but no longer than `ms`; never rejects. */
async function settledWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise.catch(() => undefined), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
