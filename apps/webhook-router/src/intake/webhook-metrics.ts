// Webhooks received, by source and what the router answered, on the service's /metrics registry. What became of
// them afterwards (delivered, retried, dead-lettered) is counted per attempt by the delivery metrics.
import { Counter, type Registry } from 'prom-client';

/** What became of one webhook. */
export type WebhookOutcome =
  /** Verified and durably recorded for its target instances. */
  | 'accepted'
  /** The sender's retry of a webhook already accepted (same delivery id): answered with the original. */
  | 'duplicate'
  /** Refused with 429: the source or the organisation is over its rate limit. */
  | 'rate_limited'
  /** Refused with 503: the delivery queue is full. */
  | 'queue_full'
  /** Slack's url_verification handshake, answered by the router. */
  | 'url_verification'
  /** Bad request (the source name or the instance id). */
  | 'invalid'
  /** Verified, but its payload violates the contract (payload schema, mapped inputs) of every target's book: 422. */
  | 'invalid_payload'
  /** No subscriber's secret verified it (or there was no subscriber). */
  | 'unauthenticated'
  /** It verified for instances of two organisations: a secret is shared across tenants; delivered to none. */
  | 'ambiguous'
  /** The book controller could not be reached in time, or the store could not record it. */
  | 'unavailable'
  /** The controller failed in an unexpected way. */
  | 'error';

export interface WebhookMetrics {
  count(source: string, outcome: WebhookOutcome): void;
}

/** The label of a source without subscribers: the path is the sender's to choose, the label set is not. */
export const unknownSourceLabel = 'unknown';

export function createWebhookMetrics(registry: Registry): WebhookMetrics {
  const webhooks = new Counter({
    name: 'bdk_webhooks_total',
    help: `Webhooks received, by source and outcome. Sources without a subscriber count as "${unknownSourceLabel}", invalid ones as "invalid".`,
    labelNames: ['source', 'outcome'] as const,
    registers: [registry],
  });
  return { count: (source, outcome) => webhooks.inc({ source, outcome }) };
}
