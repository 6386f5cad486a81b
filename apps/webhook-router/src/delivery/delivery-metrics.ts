// What operators watch of the delivery queue, on the router's /metrics: attempts and their outcome by source,
// attempt and end-to-end latency, and the queue itself (depth, per instance, age of the oldest owed delivery, dead
// letters), refreshed from the store, so every replica reports the shared queue the same way.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { AttemptOutcome, DueWork, QueueStats } from '@bdk/delivery-store';

export interface DeliveryMetrics {
  attempted(work: DueWork, outcome: AttemptOutcome, latencyMs: number): void;
  queue(stats: QueueStats, now: Date): void;
}

export function createDeliveryMetrics(registry: Registry): DeliveryMetrics {
  const attempts = new Counter({
    name: 'bdk_webhook_delivery_attempts_total',
    help: 'Attempts to hand a webhook to one target instance, by source and outcome: delivered, failed (a retry is scheduled), dead_lettered, or held (the instance is suspended: no attempt spent).',
    labelNames: ['source', 'outcome'] as const,
    registers: [registry],
  });
  const attemptSeconds = new Histogram({
    name: 'bdk_webhook_delivery_attempt_duration_seconds',
    help: 'How long one attempt took, through the book controller to the book and back, by source.',
    labelNames: ['source'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const endToEndSeconds = new Histogram({
    name: 'bdk_webhook_delivery_latency_seconds',
    help: 'From the webhook\u2019s arrival to its delivery to a target, retries included, by source.',
    labelNames: ['source'] as const,
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 30, 300, 1_800, 7_200, 36_000, 86_400],
    registers: [registry],
  });
  const depth = new Gauge({
    name: 'bdk_webhook_queue_depth',
    help: '(webhook, target instance) pairs accepted and not yet delivered or dead-lettered.',
    registers: [registry],
  });
  const depthByInstance = new Gauge({
    name: 'bdk_webhook_queue_depth_by_instance',
    help: 'Owed deliveries per target instance (its id): the backlog an instance can be scaled on.',
    labelNames: ['instance_id'] as const,
    registers: [registry],
  });
  const oldestAge = new Gauge({
    name: 'bdk_webhook_queue_oldest_age_seconds',
    help: 'Age of the oldest owed delivery; 0 when none is owed.',
    registers: [registry],
  });
  const deadLetters = new Gauge({
    name: 'bdk_webhook_dead_letters',
    help: 'Dead-lettered (webhook, target instance) pairs still retained, waiting for a replay.',
    registers: [registry],
  });

  return {
    attempted(work, outcome, latencyMs) {
      attempts.inc({ source: work.source, outcome: outcome.state });
      attemptSeconds.observe({ source: work.source }, latencyMs / 1_000);
      if (outcome.state === 'delivered') endToEndSeconds.observe({ source: work.source }, (Date.now() - work.receivedAt.getTime()) / 1_000);
    },
    queue(stats, now) {
      depth.set(stats.pending);
      deadLetters.set(stats.deadLettered);
      oldestAge.set(stats.oldestPendingReceivedAt ? Math.max(0, (now.getTime() - stats.oldestPendingReceivedAt.getTime()) / 1_000) : 0);
      // Instances whose backlog drained drop out rather than stay at their last value.
      depthByInstance.reset();
      for (const [instanceId, count] of Object.entries(stats.pendingByInstance)) depthByInstance.set({ instance_id: instanceId }, count);
    },
  };
}
