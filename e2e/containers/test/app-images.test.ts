// BDK's container images, built and run: the three apps from apps/Dockerfile (on the local Node base image that
// stands in for node:<version>-slim) and the Envoy image, run as the charts run them (uid 1000 / 101, read-only
// root filesystem, files mounted read-only) against a real kube-apiserver on loopback, whose controller-manager,
// scheduler and kwok run the book Pods on fake Nodes. The spec's three requests go through the gateway container and
// answer as they do through the process-based stack (e2e/test).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import {
  appImage,
  baseImages,
  bdkApps,
  buildAppImage,
  descriptorSetPath,
  docker,
  dockerOk,
  freePort,
  newRunId,
  removeRunContainers,
  renderEnvoyConfig,
  runLabel,
  seedCreateBookRequest,
  seedCreateInstanceRequest,
  sendSeedWebhookUntilProcessed,
  seedWebhookBody,
  setUpPlatformIdentity,
  startBookEndpoint,
  startKubeEnv,
  startModelManager,
  waitForRollout,
  waitUntil,
  type BdkApp,
  type KubeEnv,
  type PlatformIdentity,
  type ReceivedRequest,
} from '@bdk/testing';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startContainer, untilContainerReady, type RunningContainer } from './support/containers.js';

const runId = newRunId();
const namespace = 'bdk';
/** The bound the tests hold each app image to: the Node base (~215 MB) plus the production packages (~90 MB). */
const maxAppImageBytes = 400 * 1024 * 1024;
/** The Envoy binary (~105 MB) on the same Debian root filesystem. */
const maxEnvoyImageBytes = 250 * 1024 * 1024;

const closers: (() => Promise<unknown>)[] = [];
let workDir = '';

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'bdk-containers-'));
  closers.push(() => rm(workDir, { recursive: true, force: true }));
  // In sequence: the three builds share every layer up to the Nx build.
  for (const app of bdkApps) await buildAppImage(app);
}, 1_800_000);

afterAll(async () => {
  await removeRunContainers(runId);
  for (const close of closers.reverse()) await close();
}, 120_000);

/** `docker run --rm` of an image with a command instead of its entrypoint: what it printed, and its exit code. */
async function inImage(image: string, command: string): Promise<{ code: number; output: string }> {
  const result = await docker(['run', '--rm', '--read-only', '--network', 'none', '--label', `${runLabel}=${runId}`, '--entrypoint', '/bin/sh', image, '-c', command]);
  return { code: result.code, output: result.stdout + result.stderr };
}

async function imageConfig(image: string): Promise<{ Size: number; Config: { User: string; Entrypoint: string[] | null; Env: string[] } }> {
  const [inspected] = JSON.parse(await dockerOk(['image', 'inspect', image])) as { Size: number; Config: { User: string; Entrypoint: string[] | null; Env: string[] } }[];
  if (!inspected) throw new Error(`no image ${image}`);
  return inspected;
}

describe.each(bdkApps)('the %s image', (app) => {
  it(`is under ${maxAppImageBytes / 1024 / 1024} MB, runs node main.js as uid 1000`, async () => {
    const image = await imageConfig(appImage(app));
    expect(image.Size).toBeLessThan(maxAppImageBytes);
    expect(image.Config.User).toBe('1000:1000');
    expect(image.Config.Entrypoint).toEqual(['node', '--enable-source-maps', 'main.js']);
    expect(await inImage(appImage(app), 'id -u; id -g; ls /app')).toEqual({ code: 0, output: expect.stringMatching(/^1000\n1000\n[\s\S]*main\.js/) });
  });

  it('carries the production packages only: no compiler, no package manager, no dev packages, no tests, no sources', async () => {
    const probe = [
      'for c in gcc cc g++ make npm npx corepack yarn; do command -v $c; done',
      // (@types/node and a few more are dependencies of @kubernetes/client-node, so production packages.)
      'for p in jest typescript nx esbuild ts-jest eslint typescript-eslint @nx @jest @eslint @bufbuild/buf @bufbuild/protoc-gen-es; do [ -e /app/node_modules/$p ] && echo /app/node_modules/$p; done',
      "find / -xdev \\( -name '*.spec.*' -o -name '*.test.ts' -o -name '*.ts' ! -name '*.d.ts' -o -name jest.config.js \\) ! -path '/proc/*' -print 2>/dev/null | grep -v /node_modules/ | head -20",
      'ls -d /app/node_modules/@kubernetes/client-node /app/node_modules/@bufbuild/protobuf >/dev/null && echo production-packages-present',
    ].join('; ');
    const { output } = await inImage(appImage(app), probe);
    expect(output.trim().split('\n')).toEqual(['production-packages-present']);
  });

  it('starts with --read-only as uid 1000: main.js loads and logs as the app, without writing to its filesystem', async () => {
    // No configuration at all: the app must get as far as its own start-up checks, and say so in its JSON log.
    const result = await docker(['run', '--rm', '--read-only', '--tmpfs', '/tmp', '--network', 'none', '--label', `${runLabel}=${runId}`, '--name', `bdk-${app}-alone-${runId.slice(0, 8)}`, appImage(app)], {
      timeoutMs: 30_000,
    });
    const output = result.stdout + result.stderr;
    expect(output).toContain(`"component":"${app}"`);
    expect(output).not.toMatch(/EROFS|read-only file system|EACCES|ERR_MODULE_NOT_FOUND|Cannot find (module|package)/i);
  });
});

describe('the Envoy image', () => {
  it(`is under ${maxEnvoyImageBytes / 1024 / 1024} MB and runs envoy as uid 101, the charts' envoy user`, async () => {
    const image = await imageConfig(baseImages.envoy);
    expect(image.Size).toBeLessThan(maxEnvoyImageBytes);
    expect(image.Config.User).toBe('101:101');
    expect(await inImage(baseImages.envoy, 'id -u; command -v envoy; command -v gcc cc npm node || true')).toEqual({ code: 0, output: '101\n/usr/local/bin/envoy\n' });
  });
});

describe("the spec's sequence through the containers", () => {
  let kube: KubeEnv;
  let identity: PlatformIdentity;
  let gatewayUrl = '';
  /** What the book endpoint received (the controller's triggers). */
  let bookRequests: ReceivedRequest[] = [];
  const containers: Partial<Record<BdkApp | 'library-sidecar' | 'router-sidecar' | 'gateway', RunningContainer>> = {};

  /** An app container with the environment the local stack gives the app, its files mounted at the same paths. */
  async function startAppContainer(app: BdkApp, env: Record<string, string>, files: string[]): Promise<{ grpcPort: number }> {
    const grpcPort = await freePort();
    const adminPort = await freePort();
    const container = await startContainer({
      name: `bdk-${app}-${runId.slice(0, 8)}`,
      image: appImage(app),
      runId,
      user: '1000:1000',
      env: { GRPC_HOST: '127.0.0.1', GRPC_PORT: String(grpcPort), ADMIN_PORT: String(adminPort), KUBECONFIG: kube.kubeconfigPath, BDK_NAMESPACE: namespace, ...env },
      mounts: Object.fromEntries([kube.kubeconfigPath, ...files].map((file) => [file, file])),
    });
    containers[app] = container;
    await untilContainerReady(container, '/readyz', async () => (await fetch(`http://127.0.0.1:${adminPort}/readyz`)).ok);
    return { grpcPort };
  }

  async function startEnvoyContainer(name: 'library-sidecar' | 'router-sidecar' | 'gateway', config: string, upstreams: Record<string, number>, port?: number): Promise<number> {
    const dir = path.join(workDir, name);
    await mkdir(dir, { recursive: true });
    await chmod(dir, 0o755);
    // The descriptor set where the charts mount it (/etc/bdk/proto), mounted there below.
    const first = config === 'envoy/gateway.yaml' ? 'http' : 'rest';
    const rendered = await renderEnvoyConfig({
      config,
      upstreams,
      ...(port === undefined ? {} : { listenerPorts: { [first]: port } }),
      descriptorSet: `/etc/bdk/proto/${path.basename(descriptorSetPath())}`,
    });
    await writeFile(path.join(dir, 'envoy.yaml'), rendered.yaml, { mode: 0o644 });
    const container = await startContainer({
      name: `bdk-${name}-${runId.slice(0, 8)}`,
      image: baseImages.envoy,
      runId,
      user: '101:101',
      mounts: { [dir]: '/etc/envoy', [path.dirname(descriptorSetPath())]: '/etc/bdk/proto' },
      // As the charts' command and args.
      args: ['--config-path', '/etc/envoy/envoy.yaml', '--disable-hot-restart', '--log-level', 'warn'],
    });
    containers[name] = container;
    await untilContainerReady(container, 'envoy admin /ready', async () => (await fetch(`http://127.0.0.1:${rendered.adminPort}/ready`)).status === 200);
    return rendered.ports[rendered.firstListener] ?? 0;
  }

  beforeAll(async () => {
    kube = await startKubeEnv({ workloads: true });
    closers.push(() => kube.stop());
    await kube.kubeConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
    identity = await setUpPlatformIdentity(kube.kubeConfig, { directory: workDir, namespace });
    const book = await startBookEndpoint();
    closers.push(() => book.close());
    bookRequests = book.requests;
    const bookPort = book.port;
    const modelManager = await startModelManager();
    closers.push(() => modelManager.close());

    // The apps run as uid 1000: the files they read are theirs to read (a pod's fsGroup does this in a cluster).
    const authConfig = JSON.parse(await readFile(identity.authConfigFile, 'utf8')) as { issuers: { jwksFile: string }[] };
    const jwksFile = authConfig.issuers[0]?.jwksFile ?? '';
    const libraryToken = identity.env.library['BDK_CONTROLLER_TOKEN_FILE'] ?? '';
    const routerToken = identity.env.router['BDK_CONTROLLER_TOKEN_FILE'] ?? '';
    for (const file of [kube.kubeconfigPath, identity.authConfigFile, jwksFile, libraryToken, routerToken]) await chmod(file, 0o644);

    const gatewayPort = await freePort();
    const controller = await startAppContainer('book-controller', { ...identity.env.controller, BDK_BOOK_URL_TEMPLATE: `http://127.0.0.1:${bookPort}/{namespace}/{service}` }, []);
    const controllerUrl = `http://127.0.0.1:${controller.grpcPort}`;
    const library = await startAppContainer(
      'library-service',
      { ...identity.env.library, BDK_CONTROLLER_URL: controllerUrl, BDK_WEBHOOK_PUBLIC_URL: `http://127.0.0.1:${gatewayPort}`, BDK_MODEL_MANAGER_URL: modelManager.url },
      [identity.authConfigFile, jwksFile, libraryToken],
    );
    // The delivery queue's SQLite file on the container's tmpfs, where the chart mounts a volume.
    const router = await startAppContainer(
      'webhook-router',
      { ...identity.env.router, BDK_CONTROLLER_URL: controllerUrl, BDK_DELIVERY_SQLITE_PATH: '/tmp/webhook-router/deliveries.sqlite' },
      [identity.authConfigFile, jwksFile, routerToken],
    );
    const librarySidecar = await startEnvoyContainer('library-sidecar', 'envoy/sidecar.yaml', { app_grpc: library.grpcPort });
    const routerSidecar = await startEnvoyContainer('router-sidecar', 'envoy/sidecar.yaml', { app_grpc: router.grpcPort });
    const gateway = await startEnvoyContainer('gateway', 'envoy/gateway.yaml', { library_service: librarySidecar, webhook_router: routerSidecar }, gatewayPort);
    gatewayUrl = `http://127.0.0.1:${gateway}`;
  }, 240_000);

  async function rest(method: string, route: string, body: string | undefined, headers: Record<string, string>) {
    const response = await fetch(`${gatewayUrl}${route}`, { method, headers, body });
    const text = await response.text();
    return { status: response.status, json: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
  }

  it('runs every container as its chart runs it: non-root, read-only root filesystem, on loopback', async () => {
    for (const container of Object.values(containers)) {
      const [state] = JSON.parse(await dockerOk(['inspect', container.id])) as { Config: { User: string }; HostConfig: { ReadonlyRootfs: boolean } }[];
      expect({ name: container.name, user: state?.Config.User, readOnly: state?.HostConfig.ReadonlyRootfs }).toEqual({
        name: container.name,
        user: container.name.includes('sidecar') || container.name.includes('gateway') ? '101:101' : '1000:1000',
        readOnly: true,
      });
    }
    expect(Object.keys(containers).sort()).toEqual(['book-controller', 'gateway', 'library-service', 'library-sidecar', 'router-sidecar', 'webhook-router']);
  });

  it('answers the three requests as the process-based stack does', async () => {
    const admin = await identity.token({ admin: true });
    const member = await identity.token({ organizationId: seedCreateInstanceRequest.organization_id });
    const json = (token: string) => ({ 'content-type': 'application/json', authorization: `Bearer ${token}` });

    const book = await rest(
      'POST',
      '/api/v1/books',
      JSON.stringify({ ...seedCreateBookRequest, integrations: [{ name: 'zendesk', type: 'webhook', config: { endpoint: '/webhooks/zendesk' } }] }),
      json(admin),
    );
    expect(book.status).toBe(201);
    expect(Object.keys(book.json).sort()).toEqual(['book_id', 'created_at', 'name', 'version']);
    const bookId = String(book.json['book_id']);

    const instance = await rest('POST', `/api/v1/books/${bookId}/instances`, JSON.stringify(seedCreateInstanceRequest), json(member));
    expect(instance.status).toBe(201);
    expect(Object.keys(instance.json)).toEqual(['instance_id', 'book_id', 'customer_namespace', 'status', 'created_at', 'webhooks']);
    expect(instance.json).toMatchObject({ book_id: bookId, customer_namespace: seedCreateInstanceRequest.customer_namespace, status: 'Pending' });
    const [webhook] = instance.json['webhooks'] as { source: string; signing_secret: string; url: string }[];
    expect(webhook?.url).toBe(`${gatewayUrl}/api/v1/webhooks/zendesk/instances/${String(instance.json['instance_id'])}`);
    expect(webhook?.signing_secret).toMatch(/^whsec_/);

    const customerNamespace = seedCreateInstanceRequest.customer_namespace;
    const deployment = await waitUntil(
      'the book Deployment',
      async () => (await kube.kubeConfig.makeApiClient(AppsV1Api).listNamespacedDeployment({ namespace: customerNamespace, labelSelector: `bdk.voyager.io/instance-id=${String(instance.json['instance_id'])}` })).items[0],
      { timeoutMs: 30_000 },
    );
    const workload = deployment.metadata?.name ?? '';
    await waitForRollout(kube.kubeConfig, customerNamespace, workload);

    const delivered = await sendSeedWebhookUntilProcessed(gatewayUrl, webhook?.signing_secret ?? '', { timeoutMs: 30_000, intervalMs: 500 });
    expect(delivered).toMatchObject({ processed: true, routed_to: expect.stringMatching(new RegExp(`^${customerNamespace}/`)) });
    expect(bookRequests.map(({ url, body }) => ({ url, body: body.toString('utf8') }))).toContainEqual({ url: `/${customerNamespace}/${workload}/webhooks/zendesk`, body: seedWebhookBody });
  });
});
