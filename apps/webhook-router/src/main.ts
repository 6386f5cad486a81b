// webhook-router: the process entry point. Reads its settings, the authentication config and its controller token,
// then serves bdk.v1.WebhookService until SIGTERM. It holds no Kubernetes client: the book controller tells it
// which instances subscribe to a source and with which secrets.
import { tokenFileSource } from '@bdk/k8s';
import { authInterceptor, createTokenVerifier, readAuthConfig } from '@bdk/auth';
import { WebhookService } from '@bdk/proto';
import { ConfigError, createControllerClient, createLogger, startService, stopOnSignals } from '@bdk/service-runtime';
import { readRouterConfig } from './config.js';
import { subscriberLoader } from './controller-client.js';
import { DeliveryLog } from './delivery-log.js';
import { routerMethodPermissions } from './method-permissions.js';
import { createSubscriberCache } from './subscriber-cache.js';
import { createWebhookMetrics } from './webhook-metrics.js';
import { webhookService } from './webhook-service.js';

const name = 'webhook-router';
const startupLogger = createLogger(name);
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
  startupLogger.info('webhook-router configured', {
    controllerUrl: config.controllerUrl,
    timestampToleranceSeconds: config.timestampToleranceSeconds,
    subscriberCacheMs: config.subscriberCacheMs,
    issuers: auth.issuers.map((issuer) => issuer.issuer),
  });

  const controller = createControllerClient({ baseUrl: config.controllerUrl, token });
  const service = await startService({
    name,
    interceptors: [authInterceptor({ verifier: createTokenVerifier(auth), methods: routerMethodPermissions, logger: startupLogger })],
    routes: (router, { logger, registry }) =>
      router.service(
        WebhookService,
        webhookService({
          subscribers: createSubscriberCache({
            load: subscriberLoader(controller, config.controllerTimeoutMs),
            ttlMs: config.subscriberCacheMs,
          }),
          controller,
          controllerTimeoutMs: config.controllerTimeoutMs,
          timestampToleranceSeconds: config.timestampToleranceSeconds,
          logger,
          metrics: createWebhookMetrics(registry),
          deliveries: new DeliveryLog(),
        }),
      ),
  });
  // In-flight webhooks finish first.
  stopOnSignals(service.logger, service.close);
} catch (error) {
  startupLogger.error('webhook-router failed to start', { error });
  process.exit(1);
}
