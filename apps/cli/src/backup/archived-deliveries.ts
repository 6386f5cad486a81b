// Webhook deliveries between a delivery store's export (dates, bytes) and the archive's JSON (RFC 3339, base64).
import type { ArchivedDelivery } from './archive-format.js';

/** A delivery as the router's stores export and import it (their ExportedDelivery). */
export interface StoreDelivery {
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
  targets: {
    namespace: string;
    name: string;
    instanceId: string;
    routedTo: string;
    state: 'pending' | 'delivered' | 'failed' | 'dead_lettered';
    attempts: number;
    lastError: string;
    nextAttemptAt?: Date;
  }[];
  attemptLog: { at: Date; target: number; httpStatus: number; latencyMs: number; error: string }[];
}

const states = new Set(['pending', 'delivered', 'failed', 'dead_lettered']);

export function archiveDelivery(delivery: StoreDelivery): ArchivedDelivery {
  return {
    webhookId: delivery.webhookId,
    organizationId: delivery.organizationId,
    source: delivery.source,
    event: delivery.event,
    contentType: delivery.contentType,
    payload: Buffer.from(delivery.payload).toString('base64'),
    headers: delivery.headers,
    receivedAt: delivery.receivedAt.toISOString(),
    updatedAt: delivery.updatedAt.toISOString(),
    lastError: delivery.lastError,
    targets: delivery.targets.map(({ nextAttemptAt, ...target }) => ({ ...target, ...(nextAttemptAt ? { nextAttemptAt: nextAttemptAt.toISOString() } : {}) })),
    attemptLog: delivery.attemptLog.map((attempt) => ({ ...attempt, at: attempt.at.toISOString() })),
  };
}

export function restoreDelivery(archived: ArchivedDelivery): StoreDelivery {
  const date = (value: string, field: string) => {
    const parsed = new Date(value);
    if (Number.isNaN(parsed.getTime())) throw new Error(`delivery ${archived.webhookId}: ${field} is not a time: ${JSON.stringify(value)}`);
    return parsed;
  };
  return {
    webhookId: archived.webhookId,
    organizationId: archived.organizationId,
    source: archived.source,
    event: archived.event,
    contentType: archived.contentType,
    payload: new Uint8Array(Buffer.from(archived.payload, 'base64')),
    headers: archived.headers,
    receivedAt: date(archived.receivedAt, 'receivedAt'),
    updatedAt: date(archived.updatedAt, 'updatedAt'),
    lastError: archived.lastError,
    targets: archived.targets.map(({ nextAttemptAt, state, ...target }, index) => {
      if (!states.has(state)) throw new Error(`delivery ${archived.webhookId}: target ${index} has the unknown state ${JSON.stringify(state)}`);
      return {
        ...target,
        state: state as StoreDelivery['targets'][number]['state'],
        ...(nextAttemptAt ? { nextAttemptAt: date(nextAttemptAt, `targets[${index}].nextAttemptAt`) } : {}),
      };
    }),
    attemptLog: archived.attemptLog.map((attempt) => ({ ...attempt, at: date(attempt.at, 'attemptLog[].at') })),
  };
}
