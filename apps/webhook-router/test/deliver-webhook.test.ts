// DeliverWebhook end to end within the router's pod: the real Envoy sidecar transcoding POST
// /api/v1/webhooks/{source} to the BUILT router, which routes from a real kube-apiserver's BookDefinitions and
// BookInstanceDefinitions and dispatches over gRPC to a book-controller stand-in (a real connect-node server on
// loopback that records what it receives; the real controller is exercised by the e2e suite).
import { Code, type ConnectRouter } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api } from '@kubernetes/client-node';
import { createHmac, randomUUID } from 'node:crypto';
import http2 from 'node:http2';
import {
  bdkLabels,
  bdkResources,
  bookDefinitionName,
  bookInstanceName,
  instanceCleanupFinalizer,
  type BdkResources,
  type BookDefinition,
  type BookInstanceDefinition,
} from '@bdk/k8s';
import { BookControllerService, type DispatchTriggerRequest } from '@bdk/proto';
import { freePort, startApp, startEnvoy, startKubeEnv, waitUntil, type KubeEnv, type RunningApp, type RunningEnvoy } from '@bdk/testing';

const namespace = 'bdk';
const secret = 'integration-github-secret';
const ciBook = bookDefinitionName('ci-book', '1.0.0');
const supportBook = bookDefinitionName('customer-support', '1.0.0');
const acmeCi = bookInstanceName('customer-acme', 'ci-book', randomUUID());
const globexCi = bookInstanceName('customer-globex', 'ci-book', randomUUID());
const acmeSupport = bookInstanceName('customer-acme', 'customer-support', randomUUID());
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const sign = (body: Buffer, key = secret) => `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;

let kube: KubeEnv | undefined;
let resources: BdkResources;
let router: RunningApp | undefined;
let envoy: RunningEnvoy | undefined;
const controller = { server: undefined as http2.Http2Server | undefined, sessions: new Set<http2.ServerHttp2Session>() };
const dispatched: DispatchTriggerRequest[] = [];

function book(name: string, specName: string, integrations: NonNullable<BookDefinition['spec']['integrations']>): BookDefinition {
  return {
    apiVersion: 'bdk.voyager.io/v1',
    kind: 'BookDefinition',
    metadata: { name, namespace, labels: { [bdkLabels.bookId]: randomUUID() } },
    spec: { name: specName, version: '1.0.0', integrations },
  };
}

function instance(name: string, bookRef: string, customerNamespace: string, finalizers: string[] = []): BookInstanceDefinition {
  return {
    apiVersion: 'bdk.voyager.io/v1',
    kind: 'BookInstanceDefinition',
    metadata: { name, namespace, finalizers },
    spec: { bookRef: { name: bookRef, version: '1.0.0' }, customer: { namespace: customerNamespace, organization_id: 'org-1' } },
  };
}

// What the book controller answers: every target delivered, routed_to as "<customer namespace>/<book>".
function controllerRoutes(router: ConnectRouter) {
  router.service(BookControllerService, {
    async dispatchTrigger(request) {
      dispatched.push(request);
      const results = [];
      for (const target of request.targets) {
        const found = await resources.instances.get(target.namespace, target.name);
        results.push({ target, delivered: true, httpStatus: 202, routedTo: `${found.spec.customer.namespace}/${found.spec.bookRef.name}` });
      }
      return { results };
    },
  });
}

beforeAll(async () => {
  kube = await startKubeEnv();
  resources = bdkResources(kube.kubeConfig);
  await kube.kubeConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
  await resources.books.create(namespace, book(ciBook, 'ci-book', [{ name: 'pull-requests', type: 'webhook', config: { source: 'github', endpoint: '/hooks/github' } }]));
  // The seed's book: a zendesk webhook and a slack api integration, so github never reaches it.
  await resources.books.create(
    namespace,
    book(supportBook, 'customer-support', [
      { name: 'zendesk', type: 'webhook', config: { endpoint: '/webhooks/zendesk' } },
      { name: 'slack', type: 'api', config: { scopes: ['chat:write'] } },
    ]),
  );
  await resources.instances.create(namespace, instance(acmeCi, ciBook, 'customer-acme'));
  await resources.instances.create(namespace, instance(acmeSupport, supportBook, 'customer-acme'));

  const controllerPort = await freePort();
  controller.server = http2.createServer(connectNodeAdapter({ routes: controllerRoutes }));
  controller.server.on('session', (session) => {
    controller.sessions.add(session);
    session.once('close', () => controller.sessions.delete(session));
  });
  await new Promise<void>((resolve) => controller.server?.listen(controllerPort, '127.0.0.1', resolve));

  router = await startApp('webhook-router', {
    KUBECONFIG: kube.kubeconfigPath,
    BDK_NAMESPACE: namespace,
    BDK_CONTROLLER_URL: `http://127.0.0.1:${controllerPort}`,
    BDK_CONTROLLER_TIMEOUT_MS: '3000',
    BDK_WEBHOOK_SECRET_GITHUB: secret,
    BDK_WEBHOOK_UNSIGNED_SOURCES: 'zendesk,jira',
  });
  envoy = await startEnvoy({ config: 'envoy/sidecar.yaml', upstreams: { app_grpc: router.grpcPort } });
}, 120_000);

afterAll(async () => {
  await envoy?.stop();
  await router?.stop();
  for (const session of controller.sessions) session.destroy();
  await new Promise((resolve) => (controller.server ? controller.server.close(resolve) : resolve(undefined)));
  await kube?.stop();
}, 60_000);

async function post(source: string, body: Buffer, headers: Record<string, string>) {
  const response = await fetch(`${envoy?.url}/api/v1/webhooks/${source}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

// Key order, spacing, escapes and a non-ASCII character: re-encoding anywhere on the way would break the signature.
const payload = Buffer.from('{"action":"opened",  "pull_request":{"title":"caf\u00e9 \\u00e9"},\n"number":1.50}');

describe('POST /api/v1/webhooks/{source} through the sidecar', () => {
  it('routes a signed GitHub webhook to the instance whose book declares it, with the exact bytes', async () => {
    const { status, json } = await post('github', payload, {
      'X-Hub-Signature-256': sign(payload),
      'X-GitHub-Event': 'pull_request',
      'X-GitHub-Delivery': 'delivery-1',
    });
    expect(status).toBe(200);
    expect(json).toEqual({
      webhook_id: expect.stringMatching(uuid) as unknown,
      processed: true,
      routed_to: `customer-acme/${ciBook}`,
      processing_time_ms: expect.any(Number) as unknown,
      targets: [`customer-acme/${ciBook}`],
    });
    expect(dispatched).toHaveLength(1);
    const [request] = dispatched;
    expect(request).toMatchObject({
      webhookId: json['webhook_id'],
      source: 'github',
      event: 'pull_request',
      contentType: 'application/json',
      targets: [{ namespace, name: acmeCi }],
    });
    expect(request?.headers).toMatchObject({ 'x-github-event': 'pull_request', 'x-github-delivery': 'delivery-1' });
    expect(request?.headers).not.toHaveProperty('x-hub-signature-256');
    expect(Buffer.from(request?.payload ?? []).equals(payload)).toBe(true);
  });

  it('answers 401 JSON to a bad signature and dispatches nothing', async () => {
    dispatched.length = 0;
    const { status, json } = await post('github', payload, { 'X-Hub-Signature-256': sign(payload, 'not-the-secret') });
    expect(status).toBe(401);
    expect(json).toMatchObject({ code: Code.Unauthenticated, message: 'webhook signature for source "github" could not be verified' });
    const tampered = Buffer.from(payload.toString('utf8').replace('opened', 'closed'));
    expect((await post('github', tampered, { 'X-Hub-Signature-256': sign(payload) })).status).toBe(401);
    expect(dispatched).toEqual([]);
  });

  it('answers 401 to a missing signature, and to a source with no secret exactly as to a wrong signature', async () => {
    const missing = await post('github', payload, {});
    expect(missing.status).toBe(401);
    expect(missing.json['message']).toContain('missing webhook signature');
    const stranger = await post('stripe', payload, { 'X-Hub-Signature-256': sign(payload) });
    expect(stranger).toEqual({
      status: 401,
      json: expect.objectContaining({ code: Code.Unauthenticated, message: 'webhook signature for source "stripe" could not be verified' }) as unknown,
    });
    expect(dispatched).toEqual([]);
  });

  it('answers 400 naming the field when the source is not a DNS label', async () => {
    const { status, json } = await post('Git_Hub', payload, { 'X-Hub-Signature-256': sign(payload) });
    expect(status).toBe(400);
    expect(json).toMatchObject({ code: Code.InvalidArgument, message: expect.stringMatching(/^source: must be a DNS label/) as unknown });
  });

  it('routes an unsigned source by integration name (the seed\u2019s zendesk example)', async () => {
    dispatched.length = 0;
    const { status, json } = await post('zendesk', payload, { 'X-Webhook-Source': 'zendesk', 'X-Webhook-Event': 'ticket.created' });
    expect(status).toBe(200);
    expect(json).toMatchObject({ processed: true, routed_to: `customer-acme/${supportBook}` });
    expect(dispatched[0]).toMatchObject({ source: 'zendesk', event: 'ticket.created', targets: [{ namespace, name: acmeSupport }] });
  });

  it('answers 200 with processed=false when no instance receives the source, and dispatches nothing', async () => {
    dispatched.length = 0;
    const { status, json } = await post('jira', payload, {});
    expect(status).toBe(200);
    expect(json).toMatchObject({ webhook_id: expect.stringMatching(uuid) as unknown, processed: false, routed_to: '', targets: [] });
    expect(dispatched).toEqual([]);
  });

  it('follows instances created and deleted after start-up (informer cache)', async () => {
    await resources.instances.create(namespace, instance(globexCi, ciBook, 'customer-globex', [instanceCleanupFinalizer]));
    const both = [`customer-acme/${ciBook}`, `customer-globex/${ciBook}`].sort();
    await waitUntil('the new instance to be routed', async () => {
      const { json } = await post('github', payload, { 'X-Hub-Signature-256': sign(payload) });
      return JSON.stringify([...(json['targets'] as string[])].sort()) === JSON.stringify(both);
    });
    // Deleting: the finalizer keeps it (no controller here), with a deletionTimestamp the router must honour.
    await resources.instances.delete(namespace, globexCi);
    await waitUntil('the deleting instance to be skipped', async () => {
      const { json } = await post('github', payload, { 'X-Hub-Signature-256': sign(payload) });
      return json['routed_to'] === `customer-acme/${ciBook}`;
    });
    await resources.instances.mergePatch(namespace, globexCi, { metadata: { finalizers: null } });
  });

  it('counts webhooks by source and outcome on /metrics, with unconfigured sources folded into one label', async () => {
    const metrics = await (await fetch(`http://127.0.0.1:${router?.adminPort}/metrics`)).text();
    expect(metrics).toMatch(/bdk_webhooks_total\{source="github",outcome="delivered",service="webhook-router"\} [1-9]/);
    expect(metrics).toMatch(/bdk_webhooks_total\{source="github",outcome="unauthenticated",service="webhook-router"\} [1-9]/);
    expect(metrics).toMatch(/bdk_webhooks_total\{source="jira",outcome="unrouted",service="webhook-router"\} 1/);
    expect(metrics).toMatch(/bdk_webhooks_total\{source="unconfigured",outcome="unauthenticated",service="webhook-router"\} 1/);
    expect(metrics).not.toContain('source="stripe"');
  });

  it('lists recent deliveries at GET /api/v1/webhooks/deliveries, newest first, filtered and paged', async () => {
    const response = await fetch(`${envoy?.url}/api/v1/webhooks/deliveries?source=jira&page_size=1`);
    expect(response.status).toBe(200);
    const json = (await response.json()) as { deliveries: Record<string, unknown>[]; next_page_token: string };
    expect(json).toEqual({
      deliveries: [
        expect.objectContaining({
          webhook_id: expect.stringMatching(uuid) as unknown,
          source: 'jira',
          state: 'failed',
          attempts: 1,
          last_error: 'no book instance receives webhooks from source "jira"',
          payload_size: payload.length,
          received_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown,
        }),
      ],
      next_page_token: '',
    });
    const delivered = (await (await fetch(`${envoy?.url}/api/v1/webhooks/deliveries?source=github&state=delivered`)).json()) as {
      deliveries: { targets: string[] }[];
    };
    expect(delivered.deliveries.length).toBeGreaterThan(1);
    expect(delivered.deliveries.at(-1)?.targets).toEqual([`customer-acme/${ciBook}`]);
    const bad = await fetch(`${envoy?.url}/api/v1/webhooks/deliveries?state=lost`);
    expect(bad.status).toBe(400);
  });

  it('never writes the secret or a signature to its logs', () => {
    const output = router?.process.output() ?? '';
    expect(output).toContain('"msg":"webhook routed"');
    expect(output).not.toContain(secret);
    expect(output).not.toContain(sign(payload).slice('sha256='.length));
  });

  it('answers 503 when the book controller is down', async () => {
    await new Promise<void>((resolve) => {
      controller.server?.close(() => resolve());
      for (const session of controller.sessions) session.destroy();
    });
    controller.server = undefined;
    const { status, json } = await post('github', payload, { 'X-Hub-Signature-256': sign(payload) });
    expect(status).toBe(503);
    expect(json).toMatchObject({ code: Code.Unavailable, message: 'the book controller is unavailable; try again later' });
  });
});
