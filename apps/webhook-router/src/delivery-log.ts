// An in-memory record of the latest webhooks this replica accepted, for ListDeliveries. Bounded (oldest dropped
// first) and per process: a window on recent traffic, not a durable queue with retries and dead letters. Payloads
// are not kept, only their size. Each record belongs to the one organisation whose instances the webhook
// verified for, and is listed only to that organisation.

export const deliveryStates = ['pending', 'delivered', 'failed', 'dead_lettered'] as const;
export type DeliveryState = (typeof deliveryStates)[number];

export interface DeliveryRecord {
  readonly webhookId: string;
  readonly source: string;
  readonly event: string;
  /** The organisation of the instances the webhook was routed to. */
  readonly organizationId: string;
  state: DeliveryState;
  attempts: number;
  lastError: string;
  targets: string[];
  readonly payloadSize: number;
  readonly receivedAt: Date;
  updatedAt: Date;
}

export interface DeliveryPage {
  deliveries: DeliveryRecord[];
  /** '' on the last page. */
  nextPageToken: string;
}

export class InvalidPageToken extends Error {
  override name = 'InvalidPageToken';
}

export class DeliveryLog {
  // Insertion order is arrival order; each entry carries a sequence number that page tokens point at.
  private readonly entries = new Map<string, { seq: number; record: DeliveryRecord }>();
  private nextSeq = 1;

  constructor(private readonly capacity = 1_000) {}

  /** A webhook accepted and about to be routed. */
  start(init: { webhookId: string; source: string; event: string; organizationId: string; payloadSize: number }, now = new Date()): DeliveryRecord {
    const record: DeliveryRecord = { ...init, state: 'pending', attempts: 0, lastError: '', targets: [], receivedAt: now, updatedAt: now };
    this.entries.set(init.webhookId, { seq: this.nextSeq++, record });
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.capacity) break;
      this.entries.delete(oldest);
    }
    return record;
  }

  /** The outcome of one routing attempt. */
  finish(webhookId: string, outcome: { state: DeliveryState; targets: string[]; lastError?: string }, now = new Date()): void {
    const entry = this.entries.get(webhookId);
    if (!entry) return; // Dropped while in flight by a burst larger than the capacity.
    Object.assign(entry.record, { state: outcome.state, targets: outcome.targets, lastError: outcome.lastError ?? '', updatedAt: now });
    entry.record.attempts += 1;
  }

  /**
   * One organisation's deliveries, newest first. `pageToken` is a previous page's nextPageToken. The organisation
   * is required: no filter lists every tenant's traffic.
   */
  list(filter: { organizationId: string; source?: string; state?: string; pageSize: number; pageToken?: string }): DeliveryPage {
    const before = filter.pageToken ? decodeToken(filter.pageToken) : Infinity;
    if (filter.organizationId === '') return { deliveries: [], nextPageToken: '' };
    const matching = [...this.entries.values()]
      .reverse()
      .filter(
        ({ seq, record }) =>
          seq < before &&
          record.organizationId === filter.organizationId &&
          (!filter.source || record.source === filter.source) &&
          (!filter.state || record.state === filter.state),
      );
    const page = matching.slice(0, filter.pageSize);
    const last = page.at(-1);
    return {
      deliveries: page.map(({ record }) => ({ ...record, targets: [...record.targets] })),
      nextPageToken: last && matching.length > page.length ? encodeToken(last.seq) : '',
    };
  }
}

function encodeToken(seq: number): string {
  return Buffer.from(`before:${seq}`).toString('base64url');
}

function decodeToken(token: string): number {
  const match = /^before:([1-9][0-9]{0,15})$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  if (!match?.[1]) throw new InvalidPageToken('page_token: not a token from a previous page');
  return Number(match[1]);
}
