// library-service: the process entry point. Serves bdk.v1.BookLibraryService (books and instances, stored as
// custom resources in Kubernetes; instance secrets handed to the book controller) on the shared service runtime,
// with every call authenticated by a bearer JWT: gRPC health, metrics, JSON logs and graceful shutdown. Beside it,
// adoption labels the books and instances applied without the API so that the API serves them too.
import { CoreV1Api } from '@kubernetes/client-node';
import { authInterceptor, createTokenVerifier, readAuthConfig } from '@bdk/auth';
import { bdkResources, loadKubeConfig, tokenFileSource } from '@bdk/k8s';
import { BookLibraryService } from '@bdk/proto';
import { createControllerClient, createLogger, readServiceConfig, startService, stopOnSignals } from '@bdk/service-runtime';
import { readLibraryConfig } from './config.js';
import { createLibraryService } from './library-service.js';
import { startAdoption } from './adoption/adoption.js';
import { libraryMethodPermissions } from './tenancy/method-permissions.js';
import { modelManagerPrompts, noPrompts } from './books/model-manager.js';

const name = 'library-service';
const logger = createLogger(name);
try {
  // Configuration errors stop the process before it listens, with the variable named.
  const { namespace } = readServiceConfig(process.env);
  const config = readLibraryConfig(process.env);
  const auth = await readAuthConfig(process.env);
  const kubeConfig = loadKubeConfig();
  const controller = createControllerClient({ baseUrl: config.controllerUrl, token: tokenFileSource(config.controllerTokenFile) });
  const resources = bdkResources(kubeConfig);
  const adoption = startAdoption({ kubeConfig, resources, namespace, logger });
  const service = createLibraryService({
    namespace,
    resources,
    unlabelledBooks: adoption,
    namespaces: kubeConfig.makeApiClient(CoreV1Api),
    controller,
    prompts: config.modelManagerUrl ? modelManagerPrompts({ baseUrl: config.modelManagerUrl, logger }) : noPrompts,
    logger,
    customerNamespacePrefix: config.customerNamespacePrefix,
    webhookPublicUrl: config.webhookPublicUrl,
  });
  const running = await startService({
    name,
    interceptors: [authInterceptor({ verifier: createTokenVerifier(auth), methods: libraryMethodPermissions, logger })],
    routes: (router) => router.service(BookLibraryService, service),
  });
  stopOnSignals(logger, async () => {
    await running.close();
    await adoption.stop();
  });
  logger.info('library-service configured', {
    namespace,
    kubernetes: kubeConfig.getCurrentCluster()?.server,
    modelManager: config.modelManagerUrl ?? null,
    controller: config.controllerUrl,
    issuers: auth.issuers.map((issuer) => issuer.issuer),
    customerNamespacePrefix: config.customerNamespacePrefix ?? null,
  });
} catch (error) {
  logger.error('library-service failed to start', { error });
  process.exit(1);
}
