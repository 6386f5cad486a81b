// The delivery store in one SQLite file (node:sqlite), for a single router replica: no server to run, and what
// was accepted survives a crash of the router. WAL with synchronous=FULL: a commit is on disk (fsync'd) before the
// sender is answered. Writes that arrive together share one transaction and so one fsync (group commit), which is
// what lets the file keep up with thousands of webhooks a second.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import {
  type AcceptResult,
  type AttemptOutcome,
  type Delivery,
  type DeliveryAttempt,
  type DeliveryFilter,
  type DeliveryPage,
  type DeliveryState,
  type DeliveryStore,
  type DeliveryTarget,
  type DueWork,
  type ExportedDelivery,
  type ImportResult,
  type NewDelivery,
  type QueueStats,
  type TargetStatus,
} from './delivery-store.js';
import { decodePageToken, encodePageToken, summarizeTargets } from './delivery-summary.js';

const schema = `
CREATE TABLE IF NOT EXISTS deliveries (
  webhook_id TEXT PRIMARY KEY,
  organization_id TEXT NOT NULL,
  source TEXT NOT NULL,
  event TEXT NOT NULL,
  content_type TEXT NOT NULL,
  payload BLOB NOT NULL,
  headers TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  -- The summary of the targets, kept in step with them so lists filter on an index.
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  last_error TEXT NOT NULL,
  next_attempt_at INTEGER
) STRICT;
CREATE INDEX IF NOT EXISTS deliveries_by_organization ON deliveries (organization_id, received_at DESC, webhook_id DESC);
CREATE INDEX IF NOT EXISTS deliveries_by_state ON deliveries (state, received_at);

CREATE TABLE IF NOT EXISTS targets (
  webhook_id TEXT NOT NULL REFERENCES deliveries (webhook_id) ON DELETE CASCADE,
  target INTEGER NOT NULL,
  namespace TEXT NOT NULL,
  name TEXT NOT NULL,
  instance_id TEXT NOT NULL,
  routed_to TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  last_error TEXT NOT NULL,
  -- When the next retry is due (shown to users); set only while failed.
  next_attempt_at INTEGER,
  -- When the pair may next be handed out: the next retry, or the end of the lease of an attempt in flight.
  due_at INTEGER,
  PRIMARY KEY (webhook_id, target)
) STRICT;
CREATE INDEX IF NOT EXISTS targets_due ON targets (due_at) WHERE due_at IS NOT NULL;

CREATE TABLE IF NOT EXISTS attempts (
  webhook_id TEXT NOT NULL REFERENCES deliveries (webhook_id) ON DELETE CASCADE,
  target INTEGER NOT NULL,
  at INTEGER NOT NULL,
  http_status INTEGER NOT NULL,
  latency_ms INTEGER NOT NULL,
  error TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS attempts_by_delivery ON attempts (webhook_id);

CREATE TABLE IF NOT EXISTS idempotency_keys (
  organization_id TEXT NOT NULL,
  source TEXT NOT NULL,
  key TEXT NOT NULL,
  webhook_id TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (organization_id, source, key)
) STRICT;
CREATE INDEX IF NOT EXISTS idempotency_keys_by_expiry ON idempotency_keys (expires_at);
`;

type Row = Record<string, SQLInputValue>;

/** Deliveries read per query by exportAll. */
const exportPageSize = 500;

/** Operations queued for the next transaction; each settles once it has committed (or failed alone). */
interface QueuedWrite<T> {
  run: () => T;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

export interface SqliteStoreOptions {
  /** The database file; its directory is created. */
  path: string;
}

export function openSqliteDeliveryStore(options: SqliteStoreOptions): DeliveryStore {
  mkdirSync(path.dirname(options.path), { recursive: true });
  const db = new DatabaseSync(options.path);
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;');
  db.exec(schema);

  const statements = new Map<string, StatementSync>();
  const sql = (text: string) => {
    let statement = statements.get(text);
    if (!statement) {
      statement = db.prepare(text);
      statements.set(text, statement);
    }
    return statement;
  };

  // Group commit: writes queued in the same turn of the event loop share a transaction. Each runs inside its own
  // savepoint, so one that fails (a constraint) rolls back alone and the others still commit.
  let queue: QueuedWrite<unknown>[] = [];
  let flushScheduled = false;
  let closed = false;
  function write<T>(run: () => T): Promise<T> {
    if (closed) return Promise.reject(new Error('the delivery store is closed'));
    return new Promise<T>((resolve, reject) => {
      queue.push({ run, resolve, reject } as QueuedWrite<unknown>);
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flush);
      }
    });
  }
  function flush(): void {
    flushScheduled = false;
    const batch = queue;
    queue = [];
    if (batch.length === 0) return;
    const results: { write: QueuedWrite<unknown>; ok: boolean; value: unknown }[] = [];
    try {
      db.exec('BEGIN IMMEDIATE');
      for (const each of batch) {
        db.exec('SAVEPOINT one');
        try {
          results.push({ write: each, ok: true, value: each.run() });
          db.exec('RELEASE one');
        } catch (error) {
          db.exec('ROLLBACK TO one; RELEASE one');
          results.push({ write: each, ok: false, value: error });
        }
      }
      db.exec('COMMIT');
    } catch (error) {
      if (db.isTransaction) db.exec('ROLLBACK');
      for (const each of batch) each.reject(error);
      return;
    }
    for (const { write: each, ok, value } of results) (ok ? each.resolve : each.reject)(value);
  }

  function readDelivery(organizationId: string, webhookId: string): Delivery | undefined {
    const row = sql('SELECT * FROM deliveries WHERE webhook_id = ? AND organization_id = ?').get(webhookId, organizationId);
    return row ? toDelivery(row as Row, true) : undefined;
  }

  function toDelivery(row: Row, withAttempts: boolean): Delivery {
    const webhookId = row['webhook_id'] as string;
    const targets = sql('SELECT * FROM targets WHERE webhook_id = ? ORDER BY target').all(webhookId).map((t) => toTargetStatus(t as Row));
    const attemptRows = withAttempts ? sql('SELECT * FROM attempts WHERE webhook_id = ? ORDER BY rowid').all(webhookId) : [];
    const attemptLog = attemptRows.map((a) => {
      const attempt = a as Row;
      return {
        at: new Date(attempt['at'] as number),
        target: attempt['target'] as number,
        httpStatus: attempt['http_status'] as number,
        latencyMs: attempt['latency_ms'] as number,
        error: attempt['error'] as string,
      };
    });
    const nextAttemptAt = row['next_attempt_at'] as number | null;
    return {
      webhookId,
      organizationId: row['organization_id'] as string,
      source: row['source'] as string,
      event: row['event'] as string,
      contentType: row['content_type'] as string,
      payloadSize: (row['payload'] as Uint8Array).length,
      receivedAt: new Date(row['received_at'] as number),
      updatedAt: new Date(row['updated_at'] as number),
      state: row['state'] as DeliveryState,
      attempts: row['attempts'] as number,
      lastError: row['last_error'] as string,
      ...(nextAttemptAt === null ? {} : { nextAttemptAt: new Date(nextAttemptAt) }),
      targets,
      attemptLog,
    };
  }

  /** Rewrites the delivery's summary from its targets, after they changed. */
  function resummarize(webhookId: string, now: number, lastError?: string): void {
    const targets = sql('SELECT * FROM targets WHERE webhook_id = ?').all(webhookId).map((t) => toTargetStatus(t as Row));
    const summary = summarizeTargets(targets);
    sql(
      `UPDATE deliveries SET state = ?, attempts = ?, next_attempt_at = ?, updated_at = ?, last_error = COALESCE(?, last_error)
       WHERE webhook_id = ?`,
    ).run(summary.state, summary.attempts, summary.nextAttemptAt?.getTime() ?? null, now, lastError ?? null, webhookId);
  }

  function accept(delivery: NewDelivery, { leaseMs, idempotencyWindowMs }: { leaseMs: number; idempotencyWindowMs: number }): Promise<AcceptResult> {
    return write((): { duplicate: false; webhookId: string } | { duplicate: true; webhookId: string } => {
      const received = delivery.receivedAt.getTime();
      if (delivery.idempotencyKey) {
        const seen = sql('SELECT webhook_id, expires_at FROM idempotency_keys WHERE organization_id = ? AND source = ? AND key = ?').get(
          delivery.organizationId,
          delivery.source,
          delivery.idempotencyKey,
        ) as { webhook_id: string; expires_at: number } | undefined;
        if (seen && seen.expires_at > received) return { duplicate: true, webhookId: seen.webhook_id };
        sql('INSERT OR REPLACE INTO idempotency_keys (organization_id, source, key, webhook_id, expires_at) VALUES (?, ?, ?, ?, ?)').run(
          delivery.organizationId,
          delivery.source,
          delivery.idempotencyKey,
          delivery.webhookId,
          received + idempotencyWindowMs,
        );
      }
      const now = Date.now();
      sql(
        `INSERT INTO deliveries (webhook_id, organization_id, source, event, content_type, payload, headers, received_at, updated_at,
           state, attempts, last_error, next_attempt_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, '', NULL)`,
      ).run(
        delivery.webhookId,
        delivery.organizationId,
        delivery.source,
        delivery.event,
        delivery.contentType,
        delivery.payload,
        JSON.stringify(delivery.headers),
        received,
        now,
      );
      const insertTarget = sql(
        `INSERT INTO targets (webhook_id, target, namespace, name, instance_id, routed_to, state, attempts, last_error, next_attempt_at, due_at)
         VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, '', NULL, ?)`,
      );
      delivery.targets.forEach((target, index) =>
        insertTarget.run(delivery.webhookId, index, target.namespace, target.name, target.instanceId, target.routedTo, now + leaseMs),
      );
      return { duplicate: false, webhookId: delivery.webhookId };
    }).then((result) => {
      if (!result.duplicate) return result;
      // The original may already be purged while its key lives on; then the sender's retry is treated as new.
      const original = readDelivery(delivery.organizationId, result.webhookId);
      if (original) return { ...result, original };
      return accept({ ...delivery, idempotencyKey: undefined }, { leaseMs, idempotencyWindowMs });
    });
  }

  function claimDue(limit: number, leaseMs: number): Promise<DueWork[]> {
    return write(() => {
      const now = Date.now();
      const rows = sql(
        `SELECT t.webhook_id, t.target, t.namespace, t.name, t.instance_id, t.routed_to, t.attempts,
                d.organization_id, d.source, d.event, d.content_type, d.payload, d.headers, d.received_at
         FROM targets t JOIN deliveries d ON d.webhook_id = t.webhook_id
         WHERE t.due_at IS NOT NULL AND t.due_at <= ?
         ORDER BY t.due_at LIMIT ?`,
      ).all(now, limit) as Row[];
      const lease = sql('UPDATE targets SET due_at = ? WHERE webhook_id = ? AND target = ?');
      return rows.map((row) => {
        lease.run(now + leaseMs, row['webhook_id'] as string, row['target'] as number);
        return {
          webhookId: row['webhook_id'] as string,
          target: row['target'] as number,
          organizationId: row['organization_id'] as string,
          source: row['source'] as string,
          event: row['event'] as string,
          contentType: row['content_type'] as string,
          payload: row['payload'] as Uint8Array,
          headers: JSON.parse(row['headers'] as string) as Record<string, string>,
          destination: toTarget(row),
          attempt: (row['attempts'] as number) + 1,
          receivedAt: new Date(row['received_at'] as number),
        };
      });
    });
  }

  function recordAttempt(webhookId: string, target: number, attempt: DeliveryAttempt, outcome: AttemptOutcome): Promise<void> {
    if (outcome.state === 'held') {
      const due = outcome.nextAttemptAt.getTime();
      return write(() => {
        sql(`UPDATE targets SET state = 'pending', last_error = ?, next_attempt_at = ?, due_at = ? WHERE webhook_id = ? AND target = ?`).run(
          attempt.error,
          due,
          due,
          webhookId,
          target,
        );
        resummarize(webhookId, Date.now(), attempt.error);
      });
    }
    return write(() => {
      sql('INSERT INTO attempts (webhook_id, target, at, http_status, latency_ms, error) VALUES (?, ?, ?, ?, ?, ?)').run(
        webhookId,
        target,
        attempt.at.getTime(),
        attempt.httpStatus,
        Math.round(attempt.latencyMs),
        attempt.error,
      );
      const next = outcome.state === 'failed' ? outcome.nextAttemptAt.getTime() : null;
      sql(
        `UPDATE targets SET state = ?, attempts = attempts + 1, last_error = ?, next_attempt_at = ?, due_at = ?
         WHERE webhook_id = ? AND target = ?`,
      ).run(outcome.state, attempt.error, next, next, webhookId, target);
      resummarize(webhookId, Date.now(), attempt.error);
    });
  }

  function matching(filter: DeliveryFilter & { webhookIds?: string[] }): { where: string; params: SQLInputValue[] } {
    const clauses = ['organization_id = ?'];
    const params: SQLInputValue[] = [filter.organizationId];
    if (filter.source) {
      clauses.push('source = ?');
      params.push(filter.source);
    }
    if (filter.state) {
      clauses.push('state = ?');
      params.push(filter.state);
    }
    if (filter.receivedAfter) {
      clauses.push('received_at >= ?');
      params.push(filter.receivedAfter.getTime());
    }
    if (filter.receivedBefore) {
      clauses.push('received_at < ?');
      params.push(filter.receivedBefore.getTime());
    }
    if (filter.webhookIds) {
      clauses.push(`webhook_id IN (SELECT value FROM json_each(?))`);
      params.push(JSON.stringify(filter.webhookIds));
    }
    return { where: clauses.join(' AND '), params };
  }

  async function list(filter: DeliveryFilter, page: { pageSize: number; pageToken?: string }): Promise<DeliveryPage> {
    const { where, params } = matching(filter);
    let after = '';
    if (page.pageToken) {
      const token = decodePageToken(page.pageToken);
      after = ' AND (received_at < ? OR (received_at = ? AND webhook_id < ?))';
      params.push(token.receivedAt, token.receivedAt, token.webhookId);
    }
    const rows = db
      .prepare(`SELECT * FROM deliveries WHERE ${where}${after} ORDER BY received_at DESC, webhook_id DESC LIMIT ?`)
      .all(...params, page.pageSize + 1) as Row[];
    const deliveries = rows.slice(0, page.pageSize).map((row) => toDelivery(row, false));
    const last = deliveries.at(-1);
    return { deliveries, nextPageToken: last && rows.length > page.pageSize ? encodePageToken(last) : '' };
  }

  function replay(filter: DeliveryFilter & { webhookIds?: string[] }, limit: number): Promise<string[]> {
    return write(() => {
      const { where, params } = matching(filter);
      const rows = db
        .prepare(`SELECT webhook_id, state FROM deliveries WHERE ${where} AND state IN ('dead_lettered', 'delivered') ORDER BY received_at LIMIT ?`)
        .all(...params, limit) as { webhook_id: string; state: DeliveryState }[];
      const now = Date.now();
      for (const row of rows) {
        // A fully delivered delivery goes to every target again; otherwise only what was dead-lettered.
        const which = row.state === 'delivered' ? '' : " AND state = 'dead_lettered'";
        sql(`UPDATE targets SET state = 'pending', next_attempt_at = NULL, due_at = ? WHERE webhook_id = ?${which}`).run(now, row.webhook_id);
        resummarize(row.webhook_id, now);
      }
      return rows.map((row) => row.webhook_id);
    });
  }

  function purge(before: Date, now: Date): Promise<number> {
    return write(() => {
      const deleted = sql(`DELETE FROM deliveries WHERE received_at < ? AND state IN ('delivered', 'dead_lettered')`).run(before.getTime());
      sql('DELETE FROM idempotency_keys WHERE expires_at <= ?').run(now.getTime());
      return Number(deleted.changes);
    });
  }

  async function stats(): Promise<QueueStats> {
    const owed = sql(
      `SELECT t.instance_id, COUNT(*) AS n, MIN(d.received_at) AS oldest
       FROM targets t JOIN deliveries d ON d.webhook_id = t.webhook_id
       WHERE t.state IN ('pending', 'failed') GROUP BY t.instance_id`,
    ).all() as { instance_id: string; n: number; oldest: number }[];
    const dead = sql(`SELECT COUNT(*) AS n FROM targets WHERE state = 'dead_lettered'`).get() as { n: number };
    const pendingByInstance: Record<string, number> = {};
    let pending = 0;
    let oldest = Infinity;
    for (const row of owed) {
      pendingByInstance[row.instance_id] = row.n;
      pending += row.n;
      oldest = Math.min(oldest, row.oldest);
    }
    return {
      pending,
      deadLettered: dead.n,
      ...(oldest === Infinity ? {} : { oldestPendingReceivedAt: new Date(oldest) }),
      pendingByInstance,
    };
  }

  async function* exportAll(): AsyncGenerator<ExportedDelivery> {
    // Keyset pages, so an export of a large file holds one page at a time.
    let after: { receivedAt: number; webhookId: string } | undefined;
    for (;;) {
      const rows = (
        after
          ? sql(
              `SELECT * FROM deliveries WHERE received_at > ? OR (received_at = ? AND webhook_id > ?)
               ORDER BY received_at, webhook_id LIMIT ?`,
            ).all(after.receivedAt, after.receivedAt, after.webhookId, exportPageSize)
          : sql('SELECT * FROM deliveries ORDER BY received_at, webhook_id LIMIT ?').all(exportPageSize)
      ) as Row[];
      for (const row of rows) {
        const { payloadSize: _size, state: _state, attempts: _attempts, nextAttemptAt: _next, ...delivery } = toDelivery(row, true);
        yield { ...delivery, payload: row['payload'] as Uint8Array, headers: JSON.parse(row['headers'] as string) as Record<string, string> };
      }
      const last = rows.at(-1);
      if (!last || rows.length < exportPageSize) return;
      after = { receivedAt: last['received_at'] as number, webhookId: last['webhook_id'] as string };
    }
  }

  function importOne(delivery: ExportedDelivery): Promise<boolean> {
    return write(() => {
      if (sql('SELECT 1 FROM deliveries WHERE webhook_id = ?').get(delivery.webhookId)) return false;
      const now = Date.now();
      const summary = summarizeTargets(delivery.targets);
      sql(
        `INSERT INTO deliveries (webhook_id, organization_id, source, event, content_type, payload, headers, received_at, updated_at,
           state, attempts, last_error, next_attempt_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        delivery.webhookId,
        delivery.organizationId,
        delivery.source,
        delivery.event,
        delivery.contentType,
        delivery.payload,
        JSON.stringify(delivery.headers),
        delivery.receivedAt.getTime(),
        delivery.updatedAt.getTime(),
        summary.state,
        summary.attempts,
        delivery.lastError,
        summary.nextAttemptAt?.getTime() ?? null,
      );
      const insertTarget = sql(
        `INSERT INTO targets (webhook_id, target, namespace, name, instance_id, routed_to, state, attempts, last_error, next_attempt_at, due_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      delivery.targets.forEach((target, index) => {
        const next = target.nextAttemptAt?.getTime() ?? null;
        const owed = target.state === 'pending' || target.state === 'failed';
        insertTarget.run(
          delivery.webhookId,
          index,
          target.namespace,
          target.name,
          target.instanceId,
          target.routedTo,
          target.state,
          target.attempts,
          target.lastError,
          next,
          owed ? (next ?? now) : null,
        );
      });
      const insertAttempt = sql('INSERT INTO attempts (webhook_id, target, at, http_status, latency_ms, error) VALUES (?, ?, ?, ?, ?, ?)');
      for (const attempt of delivery.attemptLog) {
        insertAttempt.run(delivery.webhookId, attempt.target, attempt.at.getTime(), attempt.httpStatus, Math.round(attempt.latencyMs), attempt.error);
      }
      return true;
    });
  }

  async function importAll(deliveries: AsyncIterable<ExportedDelivery> | Iterable<ExportedDelivery>): Promise<ImportResult> {
    const result: ImportResult = { imported: 0, skipped: 0 };
    // Deliveries written together share a transaction (and one fsync), as accepts do.
    let batch: Promise<boolean>[] = [];
    const settle = async () => {
      for (const written of await Promise.all(batch)) result[written ? 'imported' : 'skipped'] += 1;
      batch = [];
    };
    for await (const delivery of deliveries) {
      batch.push(importOne(delivery));
      if (batch.length >= exportPageSize) await settle();
    }
    await settle();
    return result;
  }

  return {
    accept,
    claimDue,
    recordAttempt,
    get: async (organizationId, webhookId) => readDelivery(organizationId, webhookId),
    list,
    replay,
    purge,
    stats,
    exportAll,
    importAll,
    async close() {
      if (closed) return;
      flush();
      closed = true;
      db.close();
    },
  };
}

function toTarget(row: Row): DeliveryTarget {
  return {
    namespace: row['namespace'] as string,
    name: row['name'] as string,
    instanceId: row['instance_id'] as string,
    routedTo: row['routed_to'] as string,
  };
}

function toTargetStatus(row: Row): TargetStatus {
  const next = row['next_attempt_at'] as number | null;
  return {
    ...toTarget(row),
    state: row['state'] as DeliveryState,
    attempts: row['attempts'] as number,
    lastError: row['last_error'] as string,
    ...(next === null ? {} : { nextAttemptAt: new Date(next) }),
  };
}
