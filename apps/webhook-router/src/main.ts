// webhook-router: the process entry point. Reads its settings, the authentication config and its controller token,
// opens the durable delivery store, then serves bdk.v1.WebhookService and dispatches owed deliveries until SIGTERM.
// It holds no Kubernetes client: the book controller tells it which instances subscribe to a source and with which
// secrets, and takes the triggers to the books.
import { tokenFileSource } from '@bdk/k8s';
import { authInterceptor, createTokenVerifier, readAuthConfig } from '@bdk/auth';
import type { DeliveryStore } from '@bdk/delivery-store';
import { WebhookService } from '@bdk/proto';
import { ConfigError, createControllerClient, createLogger, startService, stopOnSignals } from '@bdk/service-runtime';
import { readRouterConfig } from './config.js';
import { subscriberLoader } from './controller-client.js';
import { createDeliveryMetrics } from './delivery/delivery-metrics.js';
import { createDispatcher, type Dispatcher } from './delivery/dispatcher.js';
import { openDeliveryStore } from './delivery/open-store.js';
import { watchQueue, type QueueWatch } from './delivery/queue-watch.js';
import { createSubscriberCache } from './intake/subscriber-cache.js';
import { TokenBuckets } from './intake/token-buckets.js';
import { createWebhookMetrics } from './intake/webhook-metrics.js';
import { routerMethodPermissions } from './method-permissions.js';
import { webhookService } from './webhook-service.js';

const name = 'webhook-router';
const startupLogger = createLogger(name);
let store: DeliveryStore | undefined;
try {
  // Configuration errors stop the process before it listens, with the variable named.
  const config = readRouterConfig(process.env);
  const auth = await readAuthConfig(process.env);
  const token = tokenFileSource(config.controllerTokenFile);
  try {
    await token();
  } catch (error) {
    throw new ConfigError(`BDK_CONTROLLER_TOKEN_FILE: cannot read a token from ${config.controllerTokenFile}: ${(error as Error).message}`);
  }
  store = await openDeliveryStore(config.store);
  startupLogger.info('webhook-router configured', {
    controllerUrl: config.controllerUrl,
    timestampToleranceSeconds: config.timestampToleranceSeconds,
    subscriberCacheMs: config.subscriberCacheMs,
    deliveryStore: config.store.kind === 'sqlite' ? `sqlite:${config.store.path}` : `nats:${config.store.servers.join(',')}`,
    retryDelaysMs: config.retryDelaysMs,
    firstAttemptBudgetMs: config.firstAttemptBudgetMs,
    maxPending: config.maxPending,
    concurrency: config.concurrency,
    issuers: auth.issuers.map((issuer) => issuer.issuer),
  });

  const controller = createControllerClient({ baseUrl: config.controllerUrl, token });
  // A claimed delivery stays this replica's for longer than one attempt may take.
  const leaseMs = config.controllerTimeoutMs + 10_000;
  let dispatcher: Dispatcher | undefined;
  let queue: QueueWatch | undefined;
  const openStore = store;
  const service = await startService({
    name,
    interceptors: [authInterceptor({ verifier: createTokenVerifier(auth), methods: routerMethodPermissions, logger: startupLogger })],
    routes: (router, { logger, registry }) => {
      const deliveryMetrics = createDeliveryMetrics(registry);
      dispatcher = createDispatcher({
        store: openStore,
        controller,
        policy: { delaysMs: config.retryDelaysMs, jitter: 0.2, heldRecheckMs: config.heldRecheckMs },
        attemptTimeoutMs: config.controllerTimeoutMs,
        leaseMs,
        concurrency: config.concurrency,
        pollMs: 200,
        logger,
        metrics: deliveryMetrics,
      });
      queue = watchQueue({ store: openStore, metrics: deliveryMetrics, logger, refreshMs: 2_000, retentionMs: config.retentionHours * 3_600_000, purgeEveryMs: 600_000 });
      const watched = queue;
      router.service(
        WebhookService,
        webhookService({
          subscribers: createSubscriberCache({
            load: subscriberLoader(controller, config.controllerTimeoutMs),
            ttlMs: config.subscriberCacheMs,
          }),
          store: openStore,
          dispatcher,
          concurrency: config.concurrency,
          firstAttemptBudgetMs: config.firstAttemptBudgetMs,
          leaseMs,
          idempotencyWindowMs: config.idempotencyWindowHours * 3_600_000,
          limits: {
            perSource: new TokenBuckets(config.sourceLimit),
            perOrganization: new TokenBuckets(config.organizationLimit),
            maxPending: config.maxPending,
            queueDepth: () => watched.depth(),
            noteAccepted: (pairs) => watched.accepted(pairs),
          },
          onReplayed: () => dispatcher?.nudge(),
          timestampToleranceSeconds: config.timestampToleranceSeconds,
          logger,
          metrics: createWebhookMetrics(registry),
        }),
      );
    },
  });
  dispatcher?.start();
  // In-flight webhooks finish first; then the attempts in flight are recorded, then the store is closed.
  stopOnSignals(service.logger, async () => {
    await service.close();
    queue?.stop();
    await dispatcher?.stop();
    await openStore.close();
  });
} catch (error) {
  startupLogger.error('webhook-router failed to start', { error });
  await store?.close().catch(() => undefined);
  process.exit(1);
}
