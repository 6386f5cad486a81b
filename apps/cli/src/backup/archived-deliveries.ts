// Webhook deliveries between a delivery store's export (dates, bytes) and the archive's JSON (RFC 3339, base64).
import type { DeliveryState, ExportedDelivery } from '@bdk/delivery-store';
import type { ArchivedDelivery } from './archive-format.js';

const states = new Set(['pending', 'delivered', 'failed', 'dead_lettered']);

export function archiveDelivery(delivery: ExportedDelivery): ArchivedDelivery {
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

export function restoreDelivery(archived: ArchivedDelivery): ExportedDelivery {
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
        state: state as DeliveryState,
        ...(nextAttemptAt ? { nextAttemptAt: date(nextAttemptAt, `targets[${index}].nextAttemptAt`) } : {}),
      };
    }),
    attemptLog: archived.attemptLog.map((attempt) => ({ ...attempt, at: date(attempt.at, 'attemptLog[].at') })),
  };
}
