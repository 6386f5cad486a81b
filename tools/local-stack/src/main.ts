// `npm start`: BDK on this machine. A Kubernetes API (etcd + kube-apiserver on loopback with BDK's CRDs) or the
// cluster $KUBECONFIG names; the three apps; the Envoy sidecars of library-service and webhook-router; and the
// Envoy gateway on 127.0.0.1:8080 serving the spec's REST API. Ctrl-C stops every process it started.
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { isConflict, loadKubeConfig } from '@bdk/k8s';
import { freePort, installCrds, setUpPlatformIdentity, startApp, startEnvoy, startKubeEnv, type RunningApp } from '@bdk/testing';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { startBookStandIn } from './book-stand-in.js';
import { apps, readLocalStackOptions, type AppName } from './options.js';
import { startWorkloadSimulator } from './workload-simulator.js';

const options = readLocalStackOptions(process.env);
const bdkNamespace = 'bdk';
const log = (line: string) => console.log(line);

/** Everything started so far, stopped in reverse order. */
const stopSteps: (() => Promise<unknown>)[] = [];
let stopping = false;

async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    log('\nstopping the local stack ...');
    for (const step of stopSteps.reverse()) await step().catch(() => undefined);
  }
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

/** The port for slot `offset` of app `index`: fixed from the base port, or any free one when the base is 0. */
function portFor(index: number, offset: number): number | undefined {
  return options.basePort === 0 ? undefined : options.basePort + offset + index;
}

/** Keep the stack honest: if an app dies, say so and stop the rest. */
function watchExit(app: string, exited: Promise<number | null>, output: () => string): void {
  void exited.then((exitCode) => {
    if (stopping) return;
    console.error(`${app} exited (code ${exitCode}):\n${output()}`);
    void stop(1);
  });
}

async function ensureNamespace(kubeConfig: KubeConfig, name: string): Promise<void> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  try {
    await core.createNamespace({ body: { metadata: { name } } });
  } catch (error) {
    if (!isConflict(error)) throw error;
  }
}

try {
  let kubeconfig = options.kubeconfig;
  let kubeConfig: KubeConfig;
  let apiServer = 'from KUBECONFIG';
  if (kubeconfig) {
    kubeConfig = loadKubeConfig();
    log(`using the cluster in KUBECONFIG (${kubeConfig.getCurrentCluster()?.server}); applying BDK's CRDs`);
    await installCrds(kubeConfig);
  } else {
    log('starting etcd and kube-apiserver with BDK CRDs ...');
    const directory = path.join(options.stateDir, 'kube');
    await rm(directory, { recursive: true, force: true });
    await mkdir(directory, { recursive: true });
    const kube = await startKubeEnv({ directory });
    stopSteps.push(() => rm(directory, { recursive: true, force: true }), () => kube.stop());
    kubeconfig = kube.kubeconfigPath;
    kubeConfig = kube.kubeConfig;
    apiServer = kube.server;
  }

  // BDK's own namespace, which Helm creates in a cluster (the release namespace).
  await ensureNamespace(kubeConfig, bdkNamespace);

  // Triggers go to the book's Service in a cluster; here, unless told otherwise, to a stand-in on loopback.
  let bookUrlTemplate = options.bookUrlTemplate;
  if (!bookUrlTemplate && options.simulateWorkloads) {
    const standIn = await startBookStandIn(portFor(0, 300) ?? 0, log);
    stopSteps.push(() => standIn.close());
    bookUrlTemplate = standIn.urlTemplate;
  }
  if (options.simulateWorkloads && !options.kubeconfig) {
    const simulator = startWorkloadSimulator(kubeConfig, log);
    stopSteps.push(() => simulator.stop());
  }

  // Who is who: the local JWT issuer for API callers, and the ServiceAccount tokens the library-service and the
  // router present to the controller. The signing key is kept across restarts, so issued tokens stay valid.
  const identity = await setUpPlatformIdentity(kubeConfig, { directory: options.stateDir, namespace: bdkNamespace });
  // Projected tokens are refreshed by the kubelet in a pod; here, well before they expire.
  const refresh = setInterval(() => void identity.refreshServiceAccountTokens().catch((error: unknown) => console.error('refreshing service-account tokens failed:', error)), 3_600_000);
  stopSteps.push(async () => clearInterval(refresh));
  const gatewayPort = options.gatewayPort === 0 ? await freePort() : options.gatewayPort;

  const running = {} as Record<AppName, RunningApp>;
  const envOf = (app: AppName): Record<string, string> => {
    const common = { KUBECONFIG: kubeconfig ?? '', BDK_NAMESPACE: bdkNamespace };
    const controller = () => ({ BDK_CONTROLLER_URL: `http://127.0.0.1:${running['book-controller'].grpcPort}` });
    if (app === 'book-controller') return { ...common, ...identity.env.controller, ...(bookUrlTemplate ? { BDK_BOOK_URL_TEMPLATE: bookUrlTemplate } : {}) };
    if (app === 'webhook-router') return { ...common, ...identity.env.router, ...controller() };
    return {
      ...common,
      ...identity.env.library,
      ...controller(),
      BDK_WEBHOOK_PUBLIC_URL: `http://127.0.0.1:${gatewayPort}`,
      ...(options.customerNamespacePrefix ? { BDK_CUSTOMER_NAMESPACE_PREFIX: options.customerNamespacePrefix } : {}),
    };
  };
  // The controller first: the library-service and the router call it.
  for (const app of ['book-controller', 'library-service', 'webhook-router'] as const) {
    const index = apps.indexOf(app);
    const started = await startApp(app, envOf(app), { grpc: portFor(index, 0), admin: portFor(index, 100) });
    stopSteps.push(() => started.stop());
    watchExit(app, started.process.exited, () => started.process.output());
    running[app] = started;
  }

  const sidecars: Partial<Record<AppName, number>> = {};
  for (const app of ['library-service', 'webhook-router'] as const) {
    const port = portFor(apps.indexOf(app), 200);
    const sidecar = await startEnvoy({
      config: 'envoy/sidecar.yaml',
      upstreams: { app_grpc: running[app].grpcPort },
      ...(port === undefined ? {} : { listenerPorts: { rest: port } }),
    });
    stopSteps.push(() => sidecar.stop());
    watchExit(`${app} envoy sidecar`, sidecar.process.exited, () => sidecar.process.output());
    sidecars[app] = sidecar.ports['rest'];
  }

  const gateway = await startEnvoy({
    config: 'envoy/gateway.yaml',
    upstreams: { library_service: sidecars['library-service'] ?? 0, webhook_router: sidecars['webhook-router'] ?? 0 },
    listenerPorts: { http: gatewayPort },
  });
  stopSteps.push(() => gateway.stop());
  watchExit('envoy gateway', gateway.process.exited, () => gateway.process.output());

  log('\nBDK local stack is up:');
  log(`  REST gateway     ${gateway.url}/api/v1/books   ${gateway.url}/api/v1/webhooks/{source}`);
  log(`  Kubernetes API   ${apiServer}   export KUBECONFIG=${kubeconfig}`);
  for (const app of apps) {
    const sidecar = sidecars[app] ? `   REST sidecar http://127.0.0.1:${sidecars[app]}` : '';
    log(`  ${app.padEnd(16)} gRPC 127.0.0.1:${running[app].grpcPort}   metrics http://127.0.0.1:${running[app].adminPort}/metrics${sidecar}`);
  }
  log(`  book triggers    ${bookUrlTemplate ?? 'the books\' Services (in-cluster URLs)'}`);
  log(`  API tokens       TOKEN=$(npm run --silent token -- --org <organisation>)   (--admin adds books:publish); send "Authorization: Bearer $TOKEN"`);
  log('  webhooks         each instance has its own signing secret: see "webhooks" in the answer of its creation');
  if (options.simulateWorkloads && !options.kubeconfig) log('  no kubelet here: book Deployments are marked ready by the workload simulator');
  log('\nCtrl-C stops everything.');
} catch (error) {
  console.error('the local stack could not start:', error instanceof Error ? error.message : error);
  await stop(1);
}
