// library-service: the process entry point. Serves bdk.v1.BookLibraryService (books and instances, stored as
// custom resources and Secrets in Kubernetes) on the shared service runtime: gRPC health, metrics, JSON logs and
// graceful shutdown.
import { CoreV1Api } from '@kubernetes/client-node';
import { bdkResources, loadKubeConfig } from '@bdk/k8s';
import { BookLibraryService } from '@bdk/proto';
import { createLogger, readServiceConfig, runService } from '@bdk/service-runtime';
import { readLibraryConfig } from './config.js';
import { createLibraryService } from './library-service.js';
import { modelManagerPrompts, noPrompts } from './model-manager.js';

const name = 'library-service';
const logger = createLogger(name);
const { namespace } = readServiceConfig(process.env);
const { modelManagerUrl } = readLibraryConfig(process.env);
const kubeConfig = loadKubeConfig();

const service = createLibraryService({
  namespace,
  resources: bdkResources(kubeConfig),
  core: kubeConfig.makeApiClient(CoreV1Api),
  prompts: modelManagerUrl ? modelManagerPrompts({ baseUrl: modelManagerUrl, logger }) : noPrompts,
  logger,
});

await runService({ name, routes: (router) => router.service(BookLibraryService, service) });
logger.info('library-service configured', { namespace, kubernetes: kubeConfig.getCurrentCluster()?.server, modelManager: modelManagerUrl ?? null });
