// A delivery as the NATS store keeps it: one JSON value in the records bucket, rewritten whole (compare-and-set on
// its revision) at every change. Besides what users see, each target carries what the dispatch needs: its lease
// and the ticket of the work-queue message that currently stands for it.
import type { Delivery, DeliveryAttempt, DeliveryState, DeliveryTarget, NewDelivery, TargetStatus } from './delivery-store.js';
import { summarizeTargets } from './delivery-summary.js';

export interface StoredTarget extends DeliveryTarget {
  state: DeliveryState;
  attempts: number;
  lastError: string;
  /** Epoch ms; set only while failed. */
  nextAttemptAt?: number;
  /** Epoch ms: nobody else may claim the pair before. */
  leaseUntil?: number;
  /** Who holds the lease: a store instance knows its own leases by it. */
  leaseId?: string;
  /**
   * The work-queue message that stands for the pair. A message with another ticket is a leftover (the pair was
   * retried or replayed since, with a new message) and is dropped when it turns up.
   */
  ticket: string;
}

export interface StoredAttempt {
  at: number;
  target: number;
  httpStatus: number;
  latencyMs: number;
  error: string;
}

export interface StoredDelivery {
  webhookId: string;
  organizationId: string;
  source: string;
  event: string;
  contentType: string;
  payloadSize: number;
  headers: Record<string, string>;
  receivedAt: number;
  updatedAt: number;
  lastError: string;
  targets: StoredTarget[];
  attemptLog: StoredAttempt[];
}

/** The body of a work-queue message: which pair, and which ticket of it. */
export interface WorkItem {
  organizationId: string;
  webhookId: string;
  target: number;
  ticket: string;
  /** Epoch ms; a message whose record never appears is dropped some time after. */
  publishedAt: number;
}

export function newRecord(delivery: NewDelivery, tickets: string[], lease: { until: number; id: string }, now: number): StoredDelivery {
  return {
    webhookId: delivery.webhookId,
    organizationId: delivery.organizationId,
    source: delivery.source,
    event: delivery.event,
    contentType: delivery.contentType,
    payloadSize: delivery.payload.length,
    headers: delivery.headers,
    receivedAt: delivery.receivedAt.getTime(),
    updatedAt: now,
    lastError: '',
    targets: delivery.targets.map((target, index) => ({
      namespace: target.namespace,
      name: target.name,
      instanceId: target.instanceId,
      routedTo: target.routedTo,
      state: 'pending',
      attempts: 0,
      lastError: '',
      leaseUntil: lease.until,
      leaseId: lease.id,
      ticket: tickets[index] ?? '',
    })),
    attemptLog: [],
  };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

export function decodeJson<T>(bytes: Uint8Array): T {
  return JSON.parse(decoder.decode(bytes)) as T;
}

export function isFinished(state: DeliveryState): boolean {
  return state === 'delivered' || state === 'dead_lettered';
}

export function toDelivery(record: StoredDelivery): Delivery {
  const targets: TargetStatus[] = record.targets.map((target) => ({
    namespace: target.namespace,
    name: target.name,
    instanceId: target.instanceId,
    routedTo: target.routedTo,
    state: target.state,
    attempts: target.attempts,
    lastError: target.lastError,
    ...(target.nextAttemptAt === undefined ? {} : { nextAttemptAt: new Date(target.nextAttemptAt) }),
  }));
  const summary = summarizeTargets(targets);
  return {
    webhookId: record.webhookId,
    organizationId: record.organizationId,
    source: record.source,
    event: record.event,
    contentType: record.contentType,
    payloadSize: record.payloadSize,
    receivedAt: new Date(record.receivedAt),
    updatedAt: new Date(record.updatedAt),
    state: summary.state,
    attempts: summary.attempts,
    lastError: record.lastError,
    ...(summary.nextAttemptAt ? { nextAttemptAt: summary.nextAttemptAt } : {}),
    targets,
    attemptLog: record.attemptLog.map(
      (attempt): DeliveryAttempt => ({ at: new Date(attempt.at), target: attempt.target, httpStatus: attempt.httpStatus, latencyMs: attempt.latencyMs, error: attempt.error }),
    ),
  };
}

/** The delivery's state as lists filter on it: the summary of its targets. */
export function recordState(record: StoredDelivery): DeliveryState {
  return summarizeTargets(record.targets.map((target) => ({ state: target.state, attempts: target.attempts }))).state;
}
