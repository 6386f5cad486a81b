// An in-memory record of the latest webhooks this replica accepted, for ListDeliveries. Bounded (oldest dropped
// first) and per process: it is an operator's window on recent traffic, not the durable delivery queue with
// retries and dead letters (that replaces it with the next issue, keeping this interface's shape). Payloads are
// not kept, only their size.

export const deliveryStates = ['pending', 'delivered', 'failed', 'dead_lettered'] as const;
export type DeliveryState = (typeof deliveryStates)[number];

export interface DeliveryRecord {
  readonly webhookId: string;
  readonly source: string;
  readonly event: string;
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
  start(init: { webhookId: string; source: string; event: string; payloadSize: number }, now = new Date()): DeliveryRecord {
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

  /** Newest first. `pageToken` is a previous page's nextPageToken. */
  list(filter: { source?: string; state?: string; pageSize: number; pageToken?: string }): DeliveryPage {
    const before = filter.pageToken ? decodeToken(filter.pageToken) : Infinity;
    const matching = [...this.entries.values()]
      .reverse()
      .filter(({ seq, record }) => seq < before && (!filter.source || record.source === filter.source) && (!filter.state || record.state === filter.state));
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
