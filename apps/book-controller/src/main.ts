// book-controller: the process entry point. Serves bdk.v1.BookControllerService (DispatchTrigger) over gRPC and
// runs the BookInstanceDefinition controller. Readiness waits for the caches to fill; on SIGTERM the gRPC
// server drains first, then the controller finishes the reconciles under way, then the process exits.
import { bdkResources, loadKubeConfig } from '@bdk/k8s';
import { BookControllerService } from '@bdk/proto';
import { createLogger, readServiceConfig, startService, stopOnSignals } from '@bdk/service-runtime';
import type { KubeConfig } from '@kubernetes/client-node';
import { readControllerConfig, type ControllerConfig } from './config.js';
import { createBookControllerService } from './dispatch/dispatch-trigger.js';
import { createControllerCaches } from './instance/caches.js';
import { createChildWriter } from './instance/children.js';
import { createEventRecorder } from './instance/events.js';
import { createInstanceReconciler } from './instance/reconciler.js';
import { createReconcileMetrics } from './metrics.js';
import { Controller } from './runtime/controller.js';

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
const reconcile = createInstanceReconciler({
  kubeConfig,
  resources,
  caches,
  children: createChildWriter(kubeConfig),
  config,
  events: createEventRecorder(kubeConfig, name, logger),
  logger,
});

// Not ready until the caches hold full lists: DispatchTrigger and the first reconciles read them.
const service = await startService({
  name,
  startServing: false,
  routes: (router, context) => {
    metrics.register(context.registry);
    router.service(
      BookControllerService,
      createBookControllerService({
        namespace,
        cache: { instance: (ns, n) => caches.instances.get(n, ns), book: (ns, n) => caches.books.get(n, ns) },
        resources,
        config,
        logger: context.logger,
      }),
    );
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
