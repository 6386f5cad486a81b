// BDK installed with Helm onto a real Node, as an operator installs it: the bdk umbrella chart with the app and
// Envoy images built here (apps/Dockerfile, tools/toolchain/docker.sh) imported into the Node's containerd, every
// Pod a real container whose probes the kubelet runs, Services reached through kube-proxy and names through CoreDNS,
// the apps in-cluster clients of the apiserver with their own ServiceAccounts. The spec's three requests go through
// the release's gateway Service; the book-controller deploys the instance's book Pods (images/book.c) onto the same
// Node, and the webhook reaches them through the book's Service.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AppsV1Api, CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { issueToken, tokenPermissions, writeLocalSigningKey, type LocalSigningKeyFile } from '@bdk/auth';
import {
  bdkApps,
  seedCreateBookRequest,
  seedCreateInstanceRequest,
  sendSeedWebhookUntilProcessed,
  seedWebhookBody,
  startControllerManager,
  startKubeEnv,
  startModelManager,
  startScheduler,
  Teardown,
  toolPath,
  waitForRollout,
  waitUntil,
  workspaceRoot,
  type KubeEnv,
} from '@bdk/testing';
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bookImageTemplate, chartImages, importBdkImages, importBookImage } from './support/bdk-images.js';
import { bridgeAddress, createNodeBridge, deleteNodeBridge } from './support/node-bridge.js';
import { startRealNode, type RealNode } from './support/real-node.js';

const release = 'bdk';
const namespace = 'bdk';
const issuer = 'https://idp.bdk.test/';
const audience = 'bdk-api';
/** Where the gateway Service answers inside the cluster: the URL webhook senders are told. */
const publicUrl = `http://${release}-gateway.${namespace}.svc:8080`;

const teardown = new Teardown();
let kube: KubeEnv;
let node: RealNode;
let signingKey: LocalSigningKeyFile;
let gatewayUrl = '';
let workDir = '';
/** The webhook the spec's sequence delivered, and a token of its organisation. */
let delivery: { webhookId: string; token: string } | undefined;

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 600_000): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(command, args, { env, timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${path.basename(command)} ${args.join(' ')} failed: ${error.message}\n${stderr}${stdout}`)) : resolve(stdout),
    ),
  );
}

const helm = (args: string[], timeoutMs?: number) => run(toolPath('helm'), args, { ...process.env, KUBECONFIG: kube.kubeconfigPath }, timeoutMs);

/** The release's values: local images never pulled, the local identity provider's keys from a Secret, one replica each. */
function releaseValues(modelManagerUrl: string): Record<string, unknown> {
  const never = (image: { repository: string; tag: string }) => ({ ...image, pullPolicy: 'Never' });
  const envoy = { image: never(chartImages.envoy()) };
  return {
    global: { auth: { issuers: [{ issuer, audiences: [audience], jwks: { secretName: 'idp-jwks', key: 'jwks.json' } }] } },
    'library-service': { image: never(chartImages.app('library-service')), envoy, modelManager: { url: modelManagerUrl }, webhooks: { publicUrl } },
    'book-controller': { replicaCount: 1, image: never(chartImages.app('book-controller')), books: { imageTemplate: bookImageTemplate, progressDeadlineSeconds: 120 } },
    'webhook-router': { image: never(chartImages.app('webhook-router')), envoy },
    gateway: { replicaCount: 1, image: never(chartImages.envoy()) },
  };
}

/**
 * The router's delivery store on a PersistentVolume the test makes (no provisioner here): a host folder of the
 * Node, owned by the app's uid, which the controller-manager binds to the chart's claim.
 */
async function createDeliveryVolume(): Promise<void> {
  const hostPath = path.join(workDir, 'delivery-volume');
  await mkdir(hostPath, { recursive: true });
  await run('chown', ['1000:1000', hostPath]);
  await kube.kubeConfig.makeApiClient(CoreV1Api).createPersistentVolume({
    body: {
      metadata: { name: 'bdk-e2e-deliveries' },
      spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Retain', hostPath: { path: hostPath, type: 'Directory' } },
    },
  });
}

beforeAll(async () => {
  workDir = await mkdtemp('/tmp/bdk-helm-node-');
  teardown.add('the work folder', () => rm(workDir, { recursive: true, force: true }));
  // The cluster serves the Node's Pods on the bridge's address, so the bridge comes first.
  await createNodeBridge();
  teardown.add('the bridge', deleteNodeBridge);
  kube = await startKubeEnv({ address: bridgeAddress, installCrds: false });
  teardown.add('the cluster', () => kube.stop());
  const cluster = { kubeconfigPath: kube.kubeconfigPath, pki: kube.pki };
  const [controllerManager, scheduler] = await Promise.all([startControllerManager(cluster), startScheduler(cluster)]);
  teardown.add('kube-controller-manager', () => controllerManager.stop());
  teardown.add('kube-scheduler', () => scheduler.stop());
  node = await startRealNode(kube, { clusterServices: true });
  teardown.add('the Node', () => node.stop());

  await importBdkImages(node, workDir);
  await importBookImage(node, seedCreateBookRequest.name, seedCreateBookRequest.version);
  const modelManager = await startModelManager(undefined, { host: bridgeAddress });
  teardown.add('the Model Manager', () => modelManager.close());

  const keys = await writeLocalSigningKey(path.join(workDir, 'idp'), { issuer, audience });
  signingKey = keys.key;
  const core = kube.kubeConfig.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  await core.createNamespacedSecret({ namespace, body: { metadata: { name: 'idp-jwks' }, stringData: { 'jwks.json': await readFile(keys.jwksFile, 'utf8') } } });
  await createDeliveryVolume();

  const valuesFile = path.join(workDir, 'values.json');
  await writeFile(valuesFile, JSON.stringify(releaseValues(modelManager.url), null, 2));
  await chmod(valuesFile, 0o600);
  try {
    await helm(['install', release, path.join(workspaceRoot, 'charts', 'bdk'), '--namespace', namespace, '--values', valuesFile, '--wait', '--timeout', '6m'], 420_000);
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${await describePods(namespace)}`, { cause: error });
  }
  const gateway = await core.readNamespacedService({ namespace, name: `${release}-gateway` });
  gatewayUrl = `http://${gateway.spec?.clusterIP ?? ''}:8080`;
}, 1_500_000);

afterAll(async () => {
  await teardown.run();
}, 300_000);

/** Each Pod of a namespace with its phase and containers' states, and the Node's view of the first failing one. */
async function describePods(podNamespace: string): Promise<string> {
  const pods = await kube.kubeConfig.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: podNamespace }).catch(() => ({ items: [] as V1Pod[] }));
  const lines = pods.items.map((pod) => `${pod.metadata?.name}: ${pod.status?.phase} ${JSON.stringify(pod.status?.containerStatuses?.map((status) => ({ name: status.name, ready: status.ready, state: status.state })))}`);
  const failing = pods.items.find((pod) => !isReady(pod));
  return [...lines, ...(failing ? [await node.diagnose(podNamespace, failing.metadata?.name ?? '')] : [])].join('\n');
}

const isReady = (pod: V1Pod) => pod.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') ?? false;

function token(options: { organizationId?: string; admin?: boolean }): Promise<string> {
  return issueToken({
    key: signingKey,
    issuer,
    audience,
    subject: options.organizationId ? `user@${options.organizationId}` : 'platform-admin',
    organizationId: options.organizationId,
    permissions: tokenPermissions({ organizationId: options.organizationId, admin: options.admin ?? false }),
  });
}

async function rest(method: string, route: string, body: string | undefined, headers: Record<string, string>) {
  const response = await fetch(`${gatewayUrl}${route}`, { method, headers, body });
  const text = await response.text();
  return { status: response.status, json: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

/** What the book containers of a namespace wrote: one JSON line per trigger (images/book.c), from the kubelet's log files. */
async function bookLog(podNamespace: string): Promise<{ instance: string; method: string; path: string; request_id: string; body_base64: string }[]> {
  const entries = [];
  for (const podDir of (await readdir(node.kubelet.podLogsDir)).filter((dir) => dir.startsWith(`${podNamespace}_`))) {
    const containerDir = path.join(node.kubelet.podLogsDir, podDir, 'book');
    for (const file of await readdir(containerDir).catch(() => [])) {
      // CRI log lines: <time> <stream> <F|P> <line>
      for (const line of (await readFile(path.join(containerDir, file), 'utf8')).split('\n')) {
        const json = line.split(' ').slice(3).join(' ');
        if (json.startsWith('{"instance"')) entries.push(JSON.parse(json) as { instance: string; method: string; path: string; request_id: string; body_base64: string });
      }
    }
  }
  return entries;
}

describe('BDK installed with Helm on a real Node', () => {
  it('runs every Pod of the release on the Node, from the local images, Ready, as the chart says', async () => {
    const pods = (await kube.kubeConfig.makeApiClient(CoreV1Api).listNamespacedPod({ namespace })).items.filter((pod) => pod.status?.phase !== 'Succeeded');
    const summary = pods.map((pod) => ({
      component: pod.metadata?.labels?.['app.kubernetes.io/name'],
      node: pod.spec?.nodeName,
      ready: isReady(pod),
      containers: (pod.status?.containerStatuses ?? []).map((status) => ({ name: status.name, image: status.image, ready: status.ready, restarts: status.restartCount })).sort((a, b) => a.name.localeCompare(b.name)),
    }));
    const envoy = `docker.io/${chartImages.envoy().repository}:${chartImages.envoy().tag}`;
    const app = (name: (typeof bdkApps)[number]) => ({ name, image: `docker.io/${chartImages.app(name).repository}:${chartImages.app(name).tag}`, ready: true, restarts: 0 });
    const sidecar = { name: 'envoy', image: envoy, ready: true, restarts: 0 };
    expect(summary.sort((a, b) => String(a.component).localeCompare(String(b.component)))).toEqual([
      { component: 'bdk-gateway', node: node.name, ready: true, containers: [{ name: 'envoy', image: envoy, ready: true, restarts: 0 }] },
      { component: 'book-controller', node: node.name, ready: true, containers: [app('book-controller')] },
      { component: 'library-service', node: node.name, ready: true, containers: [sidecar, app('library-service')] },
      { component: 'webhook-router', node: node.name, ready: true, containers: [sidecar, app('webhook-router')] },
    ]);
  });

  it('serves the API through the gateway Service', async () => {
    const document = await fetch(`${gatewayUrl}/api/v1/openapi.json`);
    expect(document.status).toBe(200);
    expect(((await document.json()) as { openapi: string }).openapi).toMatch(/^3\./);
    const anonymous = await rest('GET', '/api/v1/books', undefined, {});
    expect(anonymous.status).toBe(401);
  });

  it("answers the spec's three requests, and the webhook reaches the instance's book Pods", async () => {
    const admin = await token({ admin: true });
    const member = await token({ organizationId: seedCreateInstanceRequest.organization_id });
    const json = (bearer: string) => ({ 'content-type': 'application/json', authorization: `Bearer ${bearer}` });

    const book = await rest('POST', '/api/v1/books', JSON.stringify({ ...seedCreateBookRequest, integrations: [{ name: 'zendesk', type: 'webhook', config: { endpoint: '/webhooks/zendesk' } }] }), json(admin));
    expect(book.status).toBe(201);
    const bookId = String(book.json['book_id']);

    // As the spec's request, but without the Tailscale sidecar: its image (ghcr.io/tailscale/tailscale) cannot be
    // pulled or built here.
    const request = { ...seedCreateInstanceRequest, networking: { tailscale: { enabled: false } } };
    const instance = await rest('POST', `/api/v1/books/${bookId}/instances`, JSON.stringify(request), json(member));
    expect(instance.status).toBe(201);
    expect(instance.json).toMatchObject({ book_id: bookId, customer_namespace: request.customer_namespace, status: 'Pending' });
    const instanceId = String(instance.json['instance_id']);
    const [webhook] = instance.json['webhooks'] as { source: string; signing_secret: string; url: string }[];
    expect(webhook?.url).toBe(`${publicUrl}/api/v1/webhooks/zendesk/instances/${instanceId}`);

    // The book's Pods: real containers of the tiny book on the Node, Ready once they accept connections.
    const customerNamespace = request.customer_namespace;
    const deployment = await waitUntil(
      'the book Deployment',
      async () => (await kube.kubeConfig.makeApiClient(AppsV1Api).listNamespacedDeployment({ namespace: customerNamespace, labelSelector: `bdk.voyager.io/instance-id=${instanceId}` })).items[0],
      { timeoutMs: 60_000 },
    );
    try {
      await waitForRollout(kube.kubeConfig, customerNamespace, deployment.metadata?.name ?? '', { timeoutMs: 180_000 });
    } catch (error) {
      throw new Error(`${error instanceof Error ? error.message : String(error)}\n${await describePods(customerNamespace)}`, { cause: error });
    }
    const bookPods = (await kube.kubeConfig.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: customerNamespace, labelSelector: `bdk.voyager.io/instance-id=${instanceId}` })).items;
    expect(bookPods.map((pod) => ({ node: pod.spec?.nodeName, ready: isReady(pod) }))).toEqual([
      { node: node.name, ready: true },
      { node: node.name, ready: true },
    ]);

    // The controller's status of the instance, read through the API: its book's replicas ready on the Node.
    const read = await waitUntil(
      'the API to report the instance Ready',
      async () => {
        const answer = await rest('GET', `/api/v1/books/${bookId}/instances/${instanceId}`, undefined, json(member));
        return (answer.json['instance'] as { status?: { phase?: string } } | undefined)?.status?.phase === 'Ready' && answer.json['instance'];
      },
      { timeoutMs: 60_000, intervalMs: 1_000 },
    );
    expect(read).toMatchObject({ instance_id: instanceId, status: { phase: 'Ready', deployment_status: { ready_replicas: 2, total_replicas: 2 } } });

    const delivered = await sendSeedWebhookUntilProcessed(gatewayUrl, webhook?.signing_secret ?? '', { timeoutMs: 60_000, intervalMs: 1_000 });
    expect(delivered).toMatchObject({ processed: true, routed_to: expect.stringMatching(new RegExp(`^${customerNamespace}/`)) });
    delivery = { webhookId: String(delivered['webhook_id']), token: member };

    // The book Pod wrote what it received: the sender's bytes, exactly, to the book's trigger path.
    const received = await waitUntil('the trigger in a book container log', async () => (await bookLog(customerNamespace)).find((entry) => entry.path === '/webhooks/zendesk'), { timeoutMs: 30_000 });
    expect(received).toMatchObject({ instance: instanceId, method: 'POST', path: '/webhooks/zendesk' });
    expect(Buffer.from(received.body_base64, 'base64').toString('utf8')).toBe(seedWebhookBody);
  }, 420_000);

  it("keeps the delivery log on the router's PersistentVolume when its Pod is replaced", async () => {
    if (!delivery) throw new Error("the spec's sequence delivered no webhook");
    const core = kube.kubeConfig.makeApiClient(CoreV1Api);
    const selector = 'app.kubernetes.io/name=webhook-router';
    const [before] = (await core.listNamespacedPod({ namespace, labelSelector: selector })).items;
    await core.deleteNamespacedPod({ namespace, name: before?.metadata?.name ?? '' });
    const after = await waitUntil(
      'a new router Pod, Ready',
      async () => (await core.listNamespacedPod({ namespace, labelSelector: selector })).items.find((pod) => pod.metadata?.uid !== before?.metadata?.uid && isReady(pod)),
      { timeoutMs: 180_000, intervalMs: 1_000 },
    ).catch(async (error: unknown) => {
      throw new Error(`${error instanceof Error ? error.message : String(error)}\n${await describePods(namespace)}`, { cause: error });
    });
    expect(after.spec?.nodeName).toBe(node.name);
    const { webhookId, token: bearer } = delivery;
    const read = await waitUntil(
      'the delivery through the new router Pod',
      async () => {
        const answer = await rest('GET', `/api/v1/webhooks/deliveries/${webhookId}`, undefined, { authorization: `Bearer ${bearer}` });
        return answer.status === 200 && answer;
      },
      { timeoutMs: 60_000, intervalMs: 1_000 },
    );
    expect(read.json).toMatchObject({ delivery: { webhook_id: webhookId, source: 'zendesk', state: 'delivered' } });
  }, 240_000);

  it("passes the release's helm test hooks, run as Pods on the Node", async () => {
    const output = await helm(['test', release, '--namespace', namespace, '--timeout', '4m'], 300_000);
    const phases = [...output.matchAll(/TEST SUITE:\s+(\S+)\s+Last Started:.*?Phase:\s+(\S+)/gs)].map(([, name, phase]) => ({ name, phase }));
    expect(phases.sort((a, b) => String(a.name).localeCompare(String(b.name)))).toEqual([
      { name: `${release}-book-controller-test-internal-api`, phase: 'Succeeded' },
      { name: `${release}-library-service-test-rest-api`, phase: 'Succeeded' },
      { name: `${release}-webhook-router-test-rest-api`, phase: 'Succeeded' },
    ]);
  }, 330_000);
});
