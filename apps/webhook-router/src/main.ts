// webhook-router: the process entry point. Reads its settings and webhook secrets, syncs the routing cache from
// the Kubernetes API, then serves bdk.v1.WebhookService until SIGTERM.
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { loadKubeConfig } from '@bdk/k8s';
import { BookControllerService, WebhookService } from '@bdk/proto';
import { createLogger, readServiceConfig, startService, stopOnSignals } from '@bdk/service-runtime';
import { readRouterConfig } from './config.js';
import { DeliveryLog } from './delivery-log.js';
import { startRoutingCache } from './routing-cache.js';
import { readWebhookSecrets } from './secret-store.js';
import { createWebhookMetrics } from './webhook-metrics.js';
import { webhookService } from './webhook-service.js';

const name = 'webhook-router';
const startupLogger = createLogger(name);
try {
  // Configuration errors stop the process before it listens, with the variable named.
  const { namespace } = readServiceConfig(process.env);
  const config = readRouterConfig(process.env);
  const secrets = readWebhookSecrets(process.env);
  startupLogger.info('webhook sources configured', { ...secrets.summary(), controllerUrl: config.controllerUrl });

  const routing = await startRoutingCache({ kubeConfig: loadKubeConfig(), namespace, logger: startupLogger });
  const controller = createClient(BookControllerService, createGrpcTransport({ baseUrl: config.controllerUrl }));
  const service = await startService({
    name,
    routes: (router, { logger, registry }) =>
      router.service(
        WebhookService,
        webhookService({
          secrets,
          routes: routing,
          controller,
          controllerTimeoutMs: config.controllerTimeoutMs,
          logger,
          metrics: createWebhookMetrics(registry),
          deliveries: new DeliveryLog(),
        }),
      ),
  });
  // In-flight webhooks finish first; then the watches stop.
  stopOnSignals(service.logger, async () => {
    await service.close();
    await routing.stop();
  });
} catch (error) {
  startupLogger.error('webhook-router failed to start', { error });
  process.exit(1);
}
