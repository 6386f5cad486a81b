// webhook-router settings beyond the shared ones (ports, namespace) and the authentication file, read once at
// start-up. Every bad value stops the process with the variable named.
import { ConfigError, envString, envWholeNumber, readControllerConnection, type ControllerConnection } from '@bdk/service-runtime';
import { defaultRetrySchedule, parseRetrySchedule } from './delivery/retry-policy.js';
import type { BucketLimit } from './intake/token-buckets.js';

export type DeliveryStoreConfig =
  /** One file; one router replica. */
  | { kind: 'sqlite'; path: string }
  /** JetStream; any number of router replicas. */
  | { kind: 'nats'; servers: string[] };

export interface RouterConfig extends ControllerConnection {
  /** Deadline of one controller call; DispatchTrigger posts to the target within it. */
  controllerTimeoutMs: number;
  /** How far a signed timestamp may be from now, for the schemes that sign one (replay protection). */
  timestampToleranceSeconds: number;
  /** How long a source's (or an instance's) subscribers are reused before the controller is asked again. */
  subscriberCacheMs: number;
  store: DeliveryStoreConfig;
  /** How long the sender waits for the first attempt before it is answered `processed: false`. */
  firstAttemptBudgetMs: number;
  /** Delays between attempts; one attempt more than delays, then the dead-letter queue. */
  retryDelaysMs: number[];
  /** How often a webhook held for a suspended instance is offered again. */
  heldRecheckMs: number;
  /** How long finished deliveries (payloads included) are kept. */
  retentionHours: number;
  /** How long a sender's delivery id is remembered for de-duplication. */
  idempotencyWindowHours: number;
  /** Owed (webhook, target) pairs above which webhooks are refused with 503. */
  maxPending: number;
  /** Attempts in flight at once. */
  concurrency: number;
  sourceLimit: BucketLimit;
  organizationLimit: BucketLimit;
}

export const defaultSqlitePath = '/var/lib/bdk/webhook-router/deliveries.sqlite';

export function readRouterConfig(env: NodeJS.ProcessEnv): RouterConfig {
  const { controllerUrl, controllerTokenFile } = readControllerConnection(env);
  // Below Envoy's 30 s route timeout, so the sender gets the router's answer rather than Envoy's.
  const controllerTimeoutMs = envWholeNumber(env, 'BDK_CONTROLLER_TIMEOUT_MS', 10_000, { min: 1, max: 25_000, unit: 'milliseconds' });
  // Senders retry for hours, so a window much wider than their clock skew only widens what a replay can reuse.
  const timestampToleranceSeconds = envWholeNumber(env, 'BDK_WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS', 300, { min: 1, max: 3_600, unit: 'seconds' });
  // Long enough that a burst to one source costs one controller call; short enough that a new instance or a
  // revoked secret takes effect within seconds. 0 asks on every webhook.
  const subscriberCacheMs = envWholeNumber(env, 'BDK_WEBHOOK_SUBSCRIBER_CACHE_MS', 5_000, { min: 0, max: 60_000, unit: 'milliseconds' });

  const kind = envString(env, 'BDK_DELIVERY_STORE', 'sqlite');
  let store: DeliveryStoreConfig;
  if (kind === 'sqlite') {
    store = { kind, path: envString(env, 'BDK_DELIVERY_SQLITE_PATH', defaultSqlitePath) };
  } else if (kind === 'nats') {
    const servers = envString(env, 'BDK_NATS_URL', '')
      .split(',')
      .map((server) => server.trim())
      .filter(Boolean);
    if (servers.length === 0) throw new ConfigError('BDK_NATS_URL must name the NATS servers (nats://host:4222, comma-separated) when BDK_DELIVERY_STORE=nats');
    for (const server of servers) {
      if (!/^(nats|tls):\/\/[^\s/]+$/.test(server)) throw new ConfigError(`BDK_NATS_URL: "${server}" is not a nats:// or tls:// server address`);
    }
    store = { kind, servers };
  } else {
    throw new ConfigError(`BDK_DELIVERY_STORE must be sqlite or nats, got "${kind}"`);
  }

  // Below the controller deadline, so that an answer in time is not cut off; at least a little for the book.
  const firstAttemptBudgetMs = envWholeNumber(env, 'BDK_DELIVERY_FIRST_ATTEMPT_BUDGET_MS', 2_000, { min: 0, max: 25_000, unit: 'milliseconds' });
  let retryDelaysMs: number[];
  try {
    retryDelaysMs = parseRetrySchedule(envString(env, 'BDK_DELIVERY_RETRY_SCHEDULE', defaultRetrySchedule));
  } catch (error) {
    throw new ConfigError(`BDK_DELIVERY_RETRY_SCHEDULE ${(error as Error).message}`);
  }
  return {
    controllerUrl,
    controllerTimeoutMs,
    controllerTokenFile,
    timestampToleranceSeconds,
    subscriberCacheMs,
    store,
    firstAttemptBudgetMs,
    retryDelaysMs,
    heldRecheckMs: envWholeNumber(env, 'BDK_DELIVERY_HELD_RECHECK_MS', 15_000, { min: 100, max: 3_600_000, unit: 'milliseconds' }),
    retentionHours: envWholeNumber(env, 'BDK_DELIVERY_RETENTION_HOURS', 168, { min: 1, max: 8_760, unit: 'hours' }),
    idempotencyWindowHours: envWholeNumber(env, 'BDK_WEBHOOK_IDEMPOTENCY_WINDOW_HOURS', 24, { min: 1, max: 720, unit: 'hours' }),
    maxPending: envWholeNumber(env, 'BDK_DELIVERY_MAX_PENDING', 100_000, { min: 1, max: 100_000_000, unit: 'deliveries' }),
    concurrency: envWholeNumber(env, 'BDK_DELIVERY_CONCURRENCY', 64, { min: 1, max: 10_000, unit: 'attempts' }),
    sourceLimit: bucket(env, 'BDK_WEBHOOK_SOURCE'),
    organizationLimit: bucket(env, 'BDK_WEBHOOK_ORGANIZATION'),
  };
}

/** `<prefix>_RATE` webhooks a second (0: unlimited) and `<prefix>_BURST` (default: one second's worth). */
function bucket(env: NodeJS.ProcessEnv, prefix: string): BucketLimit {
  const ratePerSecond = envWholeNumber(env, `${prefix}_RATE`, 0, { min: 0, max: 1_000_000, unit: 'webhooks a second' });
  const burst = envWholeNumber(env, `${prefix}_BURST`, Math.max(1, ratePerSecond), { min: 1, max: 10_000_000, unit: 'webhooks' });
  return { ratePerSecond, burst };
}
