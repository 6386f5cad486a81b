// `npm start`: BDK on this machine. A local cluster (etcd + kube-apiserver on loopback with BDK's CRDs, and
// kube-controller-manager, kube-scheduler and kwok, so book Deployments become Pods on fake Nodes) or the cluster
// $KUBECONFIG names; the three apps; the Envoy sidecars of library-service and webhook-router; and the Envoy gateway
// on 127.0.0.1:8080 serving the spec's REST API. Its state (the embedded cluster's etcd, the token signing key, the
// router's delivery queue) is kept in the state dir across stops; `--fresh` wipes it first. A controller-manager,
// scheduler, kwok, app or Envoy that exits on its own is restarted with backoff, as a kubelet would; Ctrl-C, SIGTERM
// or `npm stop` stops every process it started, in reverse order.
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { isConflict, loadKubeConfig } from '@bdk/k8s';
import {
  createFakeNodes,
  freePort,
  installCrds,
  setUpPlatformIdentity,
  startApp,
  startControllerManager,
  startEnvoy,
  startKubeEnv,
  startKwok,
  startNatsServer,
  startScheduler,
  type AppPorts,
  type RunningApp,
  type RunningComponent,
} from '@bdk/testing';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { startBookStandIn } from './book-stand-in.js';
import { apps, readLocalStackOptions, type AppName, type LocalStackOptions } from './options.js';
import { processPidFile, runningStack, stateLayout, wipeState, writePidFile } from './state-dir.js';
import { supervise, type Startable, type Supervised } from './supervisor.js';

const log = (line: string) => console.log(line);

let options: LocalStackOptions;
try {
  options = readLocalStackOptions(process.env, process.argv.slice(2));
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(2);
}
const layout = stateLayout(options.stateDir);
const bdkNamespace = 'bdk';

/** Everything started so far, stopped in reverse order. */
const stopSteps: (() => Promise<unknown>)[] = [];
let stopping = false;
let ownsPidFile = false;

async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    log('\nstopping the local stack ...');
    for (const step of stopSteps.reverse()) await step().catch(() => undefined);
    if (ownsPidFile) await rm(layout.pidFile, { force: true });
    log(`stopped; the state is kept in ${layout.root} (npm start -- --fresh starts from nothing)`);
  }
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

/** The port for slot `offset` of app `index`: fixed from the base port, or any free one when the base is 0. */
function portFor(index: number, offset: number): number | undefined {
  return options.basePort === 0 ? undefined : options.basePort + offset + index;
}

async function ensureNamespace(kubeConfig: KubeConfig, name: string): Promise<void> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  try {
    await core.createNamespace({ body: { metadata: { name } } });
  } catch (error) {
    if (!isConflict(error)) throw error;
  }
}

/** Starts a process under supervision, with a pid file that follows its restarts, and stops it with the stack. */
async function supervised<T extends Startable>(name: string, start: () => Promise<T>): Promise<Supervised<T>> {
  const handle = await supervise({ name, start, log, onStarted: (started) => writePidFile(processPidFile(layout, name), started.process.pid) });
  stopSteps.push(async () => {
    await handle.stop();
    await rm(processPidFile(layout, name), { force: true });
  });
  return handle;
}

try {
  const already = await runningStack(layout);
  if (already !== undefined) {
    console.error(`a local stack is already running on ${layout.root} (pid ${already}): npm stop stops it`);
    process.exit(1);
  }
  if (options.fresh) {
    log(`--fresh: removing the kept state in ${layout.root} (books, instances, deliveries; the token signing key stays)`);
    await wipeState(layout);
  }
  await writePidFile(layout.pidFile, process.pid);
  ownsPidFile = true;

  let kubeconfig = options.kubeconfig;
  let kubeConfig: KubeConfig;
  let apiServer = 'from KUBECONFIG';
  let workloads: { nodes: string[]; health: string[] } | undefined;
  if (kubeconfig) {
    kubeConfig = loadKubeConfig();
    log(`using the cluster in KUBECONFIG (${kubeConfig.getCurrentCluster()?.server}); applying BDK's CRDs`);
    await installCrds(kubeConfig);
  } else {
    log(`starting etcd and kube-apiserver with BDK CRDs (state in ${layout.kube}) ...`);
    await mkdir(layout.kube, { recursive: true });
    const kube = await startKubeEnv({ directory: layout.kube, persistent: true });
    stopSteps.push(() => kube.stop());
    kubeconfig = kube.kubeconfigPath;
    kubeConfig = kube.kubeConfig;
    apiServer = kube.server;

    // What turns book Deployments into Pods: supervised like the apps (a cluster's kubelet restarts its static Pods).
    log('starting kube-controller-manager, kube-scheduler and kwok with fake Nodes ...');
    const components: [string, string, () => Promise<RunningComponent>][] = [
      ['kube-controller-manager', '/healthz', () => startControllerManager(kube)],
      ['kube-scheduler', '/readyz', () => startScheduler(kube)],
      ['kwok', '/healthz', () => startKwok(kube, layout.kube)],
    ];
    const started = await Promise.all(components.map(([name, , start]) => supervised(name, start)));
    workloads = {
      nodes: await createFakeNodes(kubeConfig),
      health: components.map(([name, health], index) => `${name} ${started[index]?.current.url}${health}`),
    };
  }

  // BDK's own namespace, which Helm creates in a cluster (the release namespace).
  await ensureNamespace(kubeConfig, bdkNamespace);

  // Triggers go to the book's Service in a cluster; the book Pods here run no container, and a Service is not
  // reachable from this machine anyway: unless told otherwise, triggers go to a stand-in on loopback.
  const startStandIn = async () => {
    const standIn = await startBookStandIn(portFor(0, 300) ?? 0, log);
    stopSteps.push(() => standIn.close());
    return standIn.urlTemplate;
  };
  const bookUrlTemplate = options.bookUrlTemplate ?? (await startStandIn());

  // The router's queue: a SQLite file in the state dir, or JetStream in a nats-server whose store is there too.
  let deliveryEnv: Record<string, string>;
  let deliveryLine: string;
  if (options.deliveryStore === 'nats') {
    const nats = await startNatsServer({ storeDir: layout.nats, ...(portFor(0, 400) === undefined ? {} : { port: portFor(0, 400) }) });
    stopSteps.push(() => nats.stop());
    deliveryEnv = { BDK_DELIVERY_STORE: 'nats', BDK_NATS_URL: nats.url };
    deliveryLine = `NATS JetStream ${nats.url} (store ${layout.nats})`;
  } else {
    await mkdir(path.dirname(layout.deliveriesSqlite), { recursive: true });
    deliveryEnv = { BDK_DELIVERY_STORE: 'sqlite', BDK_DELIVERY_SQLITE_PATH: layout.deliveriesSqlite };
    deliveryLine = `SQLite ${layout.deliveriesSqlite}`;
  }

  // Who is who: the local JWT issuer for API callers, and the ServiceAccount tokens the library-service and the
  // router present to the controller. The signing key is kept across restarts, so issued tokens stay valid.
  const identity = await setUpPlatformIdentity(kubeConfig, { directory: options.stateDir, namespace: bdkNamespace });
  // Projected tokens are refreshed by the kubelet in a pod; here, well before they expire.
  const refresh = setInterval(() => void identity.refreshServiceAccountTokens().catch((error: unknown) => console.error('refreshing service-account tokens failed:', error)), 3_600_000);
  stopSteps.push(async () => clearInterval(refresh));
  const gatewayPort = options.gatewayPort === 0 ? await freePort() : options.gatewayPort;

  const running = {} as Record<AppName, Supervised<RunningApp>>;
  const envOf = (app: AppName): Record<string, string> => {
    const common = { KUBECONFIG: kubeconfig ?? '', BDK_NAMESPACE: bdkNamespace };
    const controller = () => ({ BDK_CONTROLLER_URL: `http://127.0.0.1:${running['book-controller'].current.grpcPort}` });
    // One controller process, restarted by the supervisor: no Lease to wait for after a crash.
    if (app === 'book-controller') return { ...common, ...identity.env.controller, BDK_BOOK_URL_TEMPLATE: bookUrlTemplate, BDK_LEADER_ELECTION: 'false' };
    if (app === 'webhook-router') return { ...common, ...identity.env.router, ...controller(), ...deliveryEnv };
    return {
      ...common,
      ...identity.env.library,
      ...controller(),
      BDK_WEBHOOK_PUBLIC_URL: `http://127.0.0.1:${gatewayPort}`,
      ...(options.customerNamespacePrefix ? { BDK_CUSTOMER_NAMESPACE_PREFIX: options.customerNamespacePrefix } : {}),
    };
  };
  // The controller first: the library-service and the router call it. A restart reuses the ports of the first start:
  // the sidecars and the other apps point at them.
  for (const app of ['book-controller', 'library-service', 'webhook-router'] as const) {
    const index = apps.indexOf(app);
    let ports: AppPorts = { grpc: portFor(index, 0), admin: portFor(index, 100) };
    running[app] = await supervised(app, async () => {
      const started = await startApp(app, envOf(app), ports);
      ports = { grpc: started.grpcPort, admin: started.adminPort };
      return started;
    });
  }

  /** An Envoy under supervision whose restarts listen where its first start did. */
  const envoy = (name: string, config: string, upstreams: Record<string, number>, firstPorts: Record<string, number> | undefined) => {
    let listenerPorts = firstPorts;
    return supervised(name, async () => {
      const started = await startEnvoy({ config, upstreams, ...(listenerPorts ? { listenerPorts } : {}) });
      listenerPorts = { ...started.ports };
      return started;
    });
  };

  const sidecars: Partial<Record<AppName, number>> = {};
  for (const app of ['library-service', 'webhook-router'] as const) {
    const port = portFor(apps.indexOf(app), 200);
    const sidecar = await envoy(`${app} envoy sidecar`, 'envoy/sidecar.yaml', { app_grpc: running[app].current.grpcPort }, port === undefined ? undefined : { rest: port });
    sidecars[app] = sidecar.current.ports['rest'];
  }

  const gateway = await envoy(
    'envoy gateway',
    'envoy/gateway.yaml',
    { library_service: sidecars['library-service'] ?? 0, webhook_router: sidecars['webhook-router'] ?? 0 },
    { http: gatewayPort },
  );

  log('\nBDK local stack is up:');
  log(`  REST gateway     ${gateway.current.url}/api/v1/books   ${gateway.current.url}/api/v1/webhooks/{source}`);
  log(`  Kubernetes API   ${apiServer}   export KUBECONFIG=${kubeconfig}`);
  if (workloads) {
    log(`  book Pods        scheduled onto the fake Nodes ${workloads.nodes.join(', ')}, made Running and Ready by kwok (no container runs)`);
    log(`  control plane    ${workloads.health.join('   ')}`);
  }
  for (const app of apps) {
    const { grpcPort, adminPort } = running[app].current;
    const sidecar = sidecars[app] ? `   REST sidecar http://127.0.0.1:${sidecars[app]}` : '';
    log(`  ${app.padEnd(16)} gRPC 127.0.0.1:${grpcPort}   metrics http://127.0.0.1:${adminPort}/metrics${sidecar}`);
  }
  log(`  delivery queue   ${deliveryLine}`);
  log(`  book triggers    ${bookUrlTemplate}`);
  log(`  API tokens       TOKEN=$(npm run --silent token -- --org <organisation>)   (--admin adds books:publish); send "Authorization: Bearer $TOKEN"`);
  log('  webhooks         each instance has its own signing secret: see "webhooks" in the answer of its creation');
  log(`  state            ${layout.root}, kept across restarts (npm start -- --fresh wipes it); pid files in ${layout.runDir}`);
  log('  crashes          a controller-manager, scheduler, kwok, app or Envoy that exits is restarted with backoff (1 s doubling to 30 s), logged here');
  log('\nCtrl-C stops everything (or npm stop from another terminal).');
} catch (error) {
  console.error('the local stack could not start:', error instanceof Error ? error.message : error);
  await stop(1);
}
