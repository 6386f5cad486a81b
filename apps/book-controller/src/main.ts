// book-controller: the process entry point. Serves the internal bdk.v1.BookControllerService over gRPC (every
// call authenticated by its ServiceAccount token) and runs the BookInstanceDefinition controller. Readiness waits
// for the caches to fill; on SIGTERM the gRPC server drains first, then the controller finishes the reconciles
// under way, then the process exits.
import { bdkLabels, bdkResources, createTokenReviewer, loadKubeConfig } from '@bdk/k8s';
import { BookControllerService } from '@bdk/proto';
import { createAuditLog, createLogger, readServiceConfig, startService, stopOnSignals } from '@bdk/service-runtime';
import type { KubeConfig } from '@kubernetes/client-node';
import { readControllerConfig, type ControllerConfig } from './config.js';
import { createDispatch } from './dispatch/dispatch-trigger.js';
import { createListWebhookSubscribers } from './dispatch/webhook-subscribers.js';
import { createControllerCaches } from './instance/caches.js';
import { createChildWriter } from './instance/children.js';
import { createCustomerNamespaces } from './instance/customer-namespace.js';
import { createEventRecorder } from './instance/events.js';
import { cachedLookup } from './instance/instance-lookup.js';
import { createInstanceReconciler } from './instance/reconciler.js';
import { callerPolicy } from './internal-auth/caller-policy.js';
import { internalAuthInterceptor } from './internal-auth/internal-auth-interceptor.js';
import { createReconcileMetrics } from './metrics.js';
import { Controller } from './runtime/controller.js';
import { createSecretWriter } from './secrets/secret-writer.js';
import { createStoreInstanceSecrets } from './secrets/store-instance-secrets.js';

const name = 'book-controller';
const controllerName = 'bookinstancedefinition';
const logger = createLogger(name);

let kubeConfig: KubeConfig;
let config: ControllerConfig;
try {
  config = readControllerConfig(process.env);
  kubeConfig = loadKubeConfig();
} catch (error) {
  logger.error('cannot start', { error: error instanceof Error ? error.message : String(error) });
  process.exit(1);
}
const { namespace } = readServiceConfig(process.env);
const resources = bdkResources(kubeConfig);
const metrics = createReconcileMetrics();

const controller: Controller = new Controller({
  name: controllerName,
  workers: config.workers,
  logger,
  reconcile: (key) => reconcile(key),
  observe: (result, seconds) => metrics.observe(controllerName, result, seconds),
});
const caches = createControllerCaches({ kubeConfig, namespace, logger, enqueue: (key) => controller.enqueue(key) });
const namespaces = createCustomerNamespaces(kubeConfig, namespace);
const events = createEventRecorder(kubeConfig, name, logger);
const reconcile = createInstanceReconciler({
  kubeConfig,
  resources,
  caches,
  children: createChildWriter(kubeConfig),
  namespaces,
  config,
  events,
  logger,
});
const lookup = cachedLookup(caches, resources);
const audit = createAuditLog(logger);

// Not ready until the caches hold full lists: every RPC and the first reconciles read them.
const service = await startService({
  name,
  startServing: false,
  interceptors: [
    internalAuthInterceptor({
      reviewer: createTokenReviewer(kubeConfig, { audience: config.internalAudience }),
      policy: callerPolicy(config),
      logger,
    }),
  ],
  routes: (router, context) => {
    metrics.register(context.registry);
    router.service(BookControllerService, {
      ...createDispatch({ namespace, lookup, config, logger: context.logger }),
      listWebhookSubscribers: createListWebhookSubscribers({ namespace, caches, audit }),
      storeInstanceSecrets: createStoreInstanceSecrets({
        namespace,
        lookup,
        namespaces,
        // A Secret of the derived name that carries another instance's, purpose's or organisation's label is not overwritten.
        secrets: createSecretWriter(kubeConfig, [bdkLabels.instanceId, bdkLabels.secretPurpose, bdkLabels.organizationId]),
        events,
        audit,
        logger: context.logger,
      }),
    });
  },
});

let stopping = false;
stopOnSignals(logger, async () => {
  stopping = true;
  await service.grpc.close();
  await controller.stop();
  await caches.stop();
  await service.close();
});

await caches.start();
await caches.synced();
if (!stopping) {
  controller.start();
  service.grpc.health.serveAll();
  logger.info('caches synced', { namespace, instances: caches.instances.list(namespace).length });
}
