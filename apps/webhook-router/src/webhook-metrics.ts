// Webhook counts by source and outcome, on the service's /metrics registry.
import { Counter, type Registry } from 'prom-client';

/** What became of one webhook. */
export type WebhookOutcome =
  /** Every target instance accepted it. */
  | 'delivered'
  /** Some targets accepted it, some did not. */
  | 'partial'
  /** No target accepted it. */
  | 'failed'
  /** Authenticated, but no book instance declares a webhook integration for the source. */
  | 'unrouted'
  /** Bad request (the source name). */
  | 'invalid'
  /** Missing, malformed or wrong signature, or a source with no secret. */
  | 'unauthenticated'
  /** The book controller could not be reached in time. */
  | 'unavailable'
  /** The controller failed in an unexpected way. */
  | 'error';

export interface WebhookMetrics {
  count(source: string, outcome: WebhookOutcome): void;
}

export function createWebhookMetrics(registry: Registry): WebhookMetrics {
  const webhooks = new Counter({
    name: 'bdk_webhooks_total',
    help: 'Webhooks received, by source and outcome. Sources that are not configured count as "unconfigured".',
    labelNames: ['source', 'outcome'] as const,
    registers: [registry],
  });
  return { count: (source, outcome) => webhooks.inc({ source, outcome }) };
}
