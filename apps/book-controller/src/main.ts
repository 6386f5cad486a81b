// book-controller: the process entry point. Serves the internal bdk.v1.BookControllerService over gRPC (every
// call authenticated by its ServiceAccount token) and runs the BookInstanceDefinition and BookDefinition
// controllers. Every replica keeps the caches and serves gRPC; only the holder of the Lease (leader election, on by
// default) reconciles, so a standby takes over with warm caches. Readiness waits for the caches to fill; on SIGTERM the gRPC server drains
// first, then the controller finishes the reconciles under way and gives the Lease up, then the process exits.
import { Controller, LeaderElector, leaderIdentity, WorkQueue } from '@bdk/controller-runtime';
import { bdkLabels, bdkResources, createTokenReviewer, loadKubeConfig } from '@bdk/k8s';
import { BookControllerService } from '@bdk/proto';
import { createAuditLog, createLogger, readServiceConfig, startService, stopOnSignals } from '@bdk/service-runtime';
import type { KubeConfig } from '@kubernetes/client-node';
import { createBookReconciler } from './books/book-reconciler.js';
import { readControllerConfig, type ControllerConfig } from './config.js';
import { createDispatch } from './dispatch/dispatch-trigger.js';
import { createTriggerCredentials } from './dispatch/trigger-credentials.js';
import { createListWebhookSubscribers } from './dispatch/webhook-subscribers.js';
import { createControllerCaches, objectKey } from './instance/caches.js';
import { createChildWriter } from './instance/children.js';
import { createCustomerNamespaces } from './instance/customer-namespace.js';
import { createEventRecorder } from './instance/events.js';
import { cachedLookup } from './instance/instance-lookup.js';
import { createInstanceReconciler } from './instance/reconciler.js';
import { readWorkloadPolicy } from './instance/workload-policy.js';
import { callerPolicy } from './internal-auth/caller-policy.js';
import { internalAuthInterceptor } from './internal-auth/internal-auth-interceptor.js';
import { createControllerMetrics } from './metrics.js';
import { createSecretWriter } from './secrets/secret-writer.js';
import { createStoreInstanceSecrets } from './secrets/store-instance-secrets.js';

const name = 'book-controller';
const controllerName = 'bookinstancedefinition';
const bookControllerName = 'bookdefinition';
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
const policy = readWorkloadPolicy(process.env, { bdkNamespace: namespace, bookPort: config.bookPort });
const resources = bdkResources(kubeConfig);
const metrics = createControllerMetrics();

const controller: Controller = new Controller({
  name: controllerName,
  workers: config.workers,
  logger,
  queue: new WorkQueue({ name: controllerName, qps: config.queueQps, burst: config.queueBurst, metrics: metrics.workQueue }),
  reconcile: (key) => reconcile(key),
  observe: (result, seconds) => metrics.observe(controllerName, result, seconds),
});
// Books have a queue of their own: holding a deleted book until its instances are gone never waits behind (or
// delays) the instances' rollouts.
const bookController: Controller = new Controller({
  name: bookControllerName,
  workers: 1,
  logger,
  queue: new WorkQueue({ name: bookControllerName, qps: config.queueQps, burst: config.queueBurst, metrics: metrics.workQueue }),
  reconcile: (key) => reconcileBook(key),
  observe: (result, seconds) => metrics.observe(bookControllerName, result, seconds),
});
// A standby's caches stay current but queue nothing: the leader's queues start with every instance and book.
let reconciling = false;
const caches = createControllerCaches({
  kubeConfig,
  namespace,
  logger,
  enqueue: (key) => {
    if (reconciling) controller.enqueue(key);
  },
  enqueueBook: (key) => {
    if (reconciling) bookController.enqueue(key);
  },
});
const namespaces = createCustomerNamespaces(kubeConfig, namespace);
const events = createEventRecorder(kubeConfig, name, logger);
const reconcile = createInstanceReconciler({
  kubeConfig,
  resources,
  caches,
  children: createChildWriter(kubeConfig),
  namespaces,
  config,
  policy,
  events,
  logger,
});
const reconcileBook = createBookReconciler({ resources, caches, logger });
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
      ...createDispatch({
        namespace,
        lookup,
        config,
        logger: context.logger,
        sharedNamespace: policy.sharedNamespace,
        triggerCredentials: createTriggerCredentials(kubeConfig),
      }),
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
let elector: LeaderElector | undefined;
stopOnSignals(logger, async () => {
  stopping = true;
  await service.grpc.close();
  await Promise.all([controller.stop(), bookController.stop()]);
  // Only once no reconcile runs any more: the standby may start at once.
  await elector?.stop();
  await caches.stop();
  await service.close();
});

function startReconciling(): void {
  reconciling = true;
  for (const instance of caches.instances.list(namespace)) controller.enqueue(objectKey(namespace, instance.metadata.name ?? ''));
  for (const book of caches.books.list(namespace)) bookController.enqueue(objectKey(namespace, book.metadata.name ?? ''));
  controller.start();
  bookController.start();
}

await caches.start();
await caches.synced();
if (!stopping) {
  service.grpc.health.serveAll();
  logger.info('caches synced', { namespace, instances: caches.instances.list(namespace).length });
  const election = config.leaderElection;
  if (!election.enabled) {
    startReconciling();
  } else {
    elector = new LeaderElector({
      kubeConfig,
      namespace,
      name: election.leaseName,
      identity: leaderIdentity(election.podName),
      leaseDurationMs: election.leaseDurationMs,
      renewDeadlineMs: election.renewDeadlineMs,
      retryPeriodMs: election.retryPeriodMs,
      logger,
      metrics: metrics.leaderElection,
      onStartedLeading: startReconciling,
      // A leader that lost the Lease may have reconciles half done while another replica starts its own: exiting
      // drops them, and the restarted process stands again as a standby (controller-runtime does the same).
      onStoppedLeading: () => {
        if (stopping) return;
        logger.error('lost the lease, exiting', { lease: `${namespace}/${election.leaseName}` });
        process.exit(1);
      },
    });
    elector.start();
  }
}
