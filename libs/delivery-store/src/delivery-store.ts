// The durable record of accepted webhooks: what the router answered 2xx for, the work still owed to each target
// instance, every attempt made, and the dead letters. Two back ends keep it: SQLite (one router replica, no extra
// server) and NATS JetStream (several replicas). Both pass the same contract suite (libs/delivery-store/test/delivery-store.contract.ts).
//
// The unit of work is one (webhook, target) pair: a webhook verified for two instances is delivered, retried and
// dead-lettered per instance, so a book that fails does not make a healthy one receive the payload twice.

export const deliveryStates = ['pending', 'delivered', 'failed', 'dead_lettered'] as const;
/**
 * pending: not attempted yet, or an attempt is in flight. failed: the last attempt failed and a retry is due at
 * `nextAttemptAt`. delivered: the book answered 2xx. dead_lettered: no attempt is left (or the failure was final);
 * only a replay sends it again.
 */
export type DeliveryState = (typeof deliveryStates)[number];

/** One target instance of a webhook, as the router verified it. */
export interface DeliveryTarget {
  /** The BookInstanceDefinition (BDK's namespace). */
  namespace: string;
  name: string;
  /** The instance's id (UUID). */
  instanceId: string;
  /** "customer-namespace/book", as the spec's routed_to names it. */
  routedTo: string;
}

/** A webhook the router has verified and is about to answer 2xx for. */
export interface NewDelivery {
  /** Time-ordered (UUIDv7): ids sort in arrival order. */
  webhookId: string;
  organizationId: string;
  source: string;
  event: string;
  contentType: string;
  payload: Uint8Array;
  /** Sender headers passed on to the book (lower-case names). */
  headers: Record<string, string>;
  targets: DeliveryTarget[];
  /**
   * The sender's own delivery id (X-GitHub-Delivery, webhook-id, a Stripe event id, ...), when it has one. A second
   * webhook of the same organisation and source with the same key inside the idempotency window is the sender
   * retrying: it is not recorded again.
   */
  idempotencyKey?: string;
  receivedAt: Date;
}

export type AcceptResult =
  /** Recorded durably. Its targets are leased to the caller until `leaseUntil` for the first attempt. */
  | { duplicate: false; webhookId: string }
  /** The sender's retry of an earlier webhook: nothing recorded; this is the original. */
  | { duplicate: true; webhookId: string; original: Delivery };

/** One attempt to hand a webhook to one target. */
export interface DeliveryAttempt {
  at: Date;
  /** Index into the delivery's targets. */
  target: number;
  /** The book's HTTP status; 0 when it could not be reached. */
  httpStatus: number;
  latencyMs: number;
  /** '' when delivered. */
  error: string;
}

export interface TargetStatus extends DeliveryTarget {
  state: DeliveryState;
  attempts: number;
  nextAttemptAt?: Date;
  lastError: string;
}

/** A webhook and what became of it, as ListDeliveries and GetDelivery show it. */
export interface Delivery {
  webhookId: string;
  organizationId: string;
  source: string;
  event: string;
  contentType: string;
  payloadSize: number;
  receivedAt: Date;
  updatedAt: Date;
  /** Summary of the targets: pending or failed while any is, else dead_lettered if any is, else delivered. */
  state: DeliveryState;
  /** Sum over the targets. */
  attempts: number;
  lastError: string;
  /** The earliest retry due among the targets. */
  nextAttemptAt?: Date;
  targets: TargetStatus[];
  /** Oldest first. */
  attemptLog: DeliveryAttempt[];
}

/** One (webhook, target) pair to attempt now, with what the book needs. */
export interface DueWork extends Pick<NewDelivery, 'webhookId' | 'organizationId' | 'source' | 'event' | 'contentType' | 'payload' | 'headers' | 'receivedAt'> {
  /** Index into the delivery's targets. */
  target: number;
  destination: DeliveryTarget;
  /** 1 for the first attempt. */
  attempt: number;
}

/** What to record after an attempt: the next state of the pair, decided by the retry policy. */
export type AttemptOutcome =
  | { state: 'delivered' }
  | { state: 'failed'; nextAttemptAt: Date }
  | { state: 'dead_lettered' }
  /**
   * The target instance is suspended: the pair stays pending, due again at nextAttemptAt; the attempt count and log
   * do not change.
   */
  | { state: 'held'; nextAttemptAt: Date };

export interface DeliveryFilter {
  organizationId: string;
  source?: string;
  state?: DeliveryState;
  /** Received at or after. */
  receivedAfter?: Date;
  /** Received before. */
  receivedBefore?: Date;
}

export interface DeliveryPage {
  deliveries: Delivery[];
  /** '' on the last page. */
  nextPageToken: string;
}

export interface QueueStats {
  /** (webhook, target) pairs not yet delivered or dead-lettered. */
  pending: number;
  /** Dead-lettered pairs still retained. */
  deadLettered: number;
  /** When the oldest pending pair was received; undefined when none is pending. */
  oldestPendingReceivedAt?: Date;
  /** Pending pairs per target instance id: the backlog an instance could be scaled on. */
  pendingByInstance: Record<string, number>;
}

/**
 * A delivery whole, as a backup carries it from one store to another (either back end to either): what users see
 * of it, its payload and forwarded headers. Leases, work-queue tickets and senders' idempotency keys are not part
 * of it: they belong to the store that made them.
 */
export interface ExportedDelivery {
  webhookId: string;
  organizationId: string;
  source: string;
  event: string;
  contentType: string;
  payload: Uint8Array;
  headers: Record<string, string>;
  receivedAt: Date;
  updatedAt: Date;
  lastError: string;
  targets: TargetStatus[];
  /** Oldest first. */
  attemptLog: DeliveryAttempt[];
}

export interface ImportResult {
  /** Deliveries written. */
  imported: number;
  /** Deliveries whose webhook id the store already held: left as they were. */
  skipped: number;
}

export class InvalidPageToken extends Error {
  override name = 'InvalidPageToken';
}

export interface DeliveryStore {
  /**
   * Records a verified webhook, durably, before the sender is answered: resolved means it survives a crash of this
   * process (and, for NATS, of one server). Each target is leased to the caller for `leaseMs` from now, for the
   * first attempt; if the caller dies, the pair becomes due again when the lease ends. The idempotency window
   * counts from `receivedAt`.
   */
  accept(delivery: NewDelivery, options: { leaseMs: number; idempotencyWindowMs: number }): Promise<AcceptResult>;
  /**
   * Leases up to `limit` pairs that are due (pending or failed with nextAttemptAt <= now, no live lease), oldest
   * due first, for `leaseMs`. A pair is handed to one caller at a time, across replicas. Time is the wall clock:
   * with NATS the broker itself holds a retry back until it is due.
   */
  claimDue(limit: number, leaseMs: number): Promise<DueWork[]>;
  /** Records an attempt of a leased pair and its next state, and releases the lease. */
  recordAttempt(webhookId: string, target: number, attempt: DeliveryAttempt, outcome: AttemptOutcome): Promise<void>;
  /** One delivery of the organisation; undefined when it does not exist or belongs to another organisation. */
  get(organizationId: string, webhookId: string): Promise<Delivery | undefined>;
  /** The organisation's deliveries, newest first, each without its attempt log (empty): get() reads one whole. */
  list(filter: DeliveryFilter, page: { pageSize: number; pageToken?: string }): Promise<DeliveryPage>;
  /**
   * Makes the organisation's deliveries matching the filter due again now: their dead-lettered targets, or every
   * target of a delivery that was fully delivered. Attempt history is kept; the attempt count goes on. Returns the ids replayed (at most `limit`),
   * skipping deliveries that still have a pending or failed (retry scheduled) target.
   */
  replay(filter: DeliveryFilter & { webhookIds?: string[] }, limit: number): Promise<string[]>;
  /**
   * Forgets what is older than the retention: deliveries (payload, attempts, all) received before `before` whose
   * every target is delivered or dead-lettered are deleted; idempotency keys whose window ended before `now` are
   * dropped. Returns the number of deliveries deleted.
   */
  purge(before: Date, now: Date): Promise<number>;
  stats(): Promise<QueueStats>;
  /** Every delivery of every organisation, whole, oldest first. */
  exportAll(): AsyncIterable<ExportedDelivery>;
  /**
   * Writes deliveries as they were exported, keeping their ids, states, attempt counts and logs. What was still
   * owed is due again: a pending target at once (or, held for a suspended instance, at its nextAttemptAt), a failed
   * one at its nextAttemptAt. A webhook id already in the store is skipped, so an import can be run again.
   */
  importAll(deliveries: AsyncIterable<ExportedDelivery> | Iterable<ExportedDelivery>): Promise<ImportResult>;
  close(): Promise<void>;
}
