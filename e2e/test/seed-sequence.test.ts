// The seed's sequence diagram end to end, through the REST gateway of the local stack (real Envoy gateway and
// sidecars, the three apps, a real kube-apiserver): a client creates a book (the library fetches its prompts from
// a Model Manager) and an instance; the controller deploys it into the customer namespace; the instance turns
// Ready; a signed webhook reaches the book's endpoint byte for byte; deleting the instance removes what was
// deployed. The Model Manager and the book's endpoint are external systems: real servers on loopback here.
import { create } from '@bufbuild/protobuf';
import type { ConnectRouter } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { modelmanager } from '@bdk/proto';
import { markDeploymentReady, seedCreateBookRequest, seedCreateInstanceRequest, seedWebhookBody, seedWebhookHeaders, waitUntil } from '@bdk/testing';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { startStack, type Stack } from './support/local-stack.js';

const webhookSecret = 'e2e-zendesk-secret';
/** The seed's book, with the webhook integration its BookDefinition example declares (the REST example leaves it out). */
const createBookBody = {
  ...seedCreateBookRequest,
  integrations: [
    { name: 'zendesk', type: 'webhook', config: { endpoint: '/webhooks/zendesk' } },
    { name: 'slack', type: 'api', config: { scopes: ['chat:write', 'users:read'] } },
  ],
};
const createInstanceBody = seedCreateInstanceRequest;
const webhookBody = seedWebhookBody;
const customerNamespace = createInstanceBody.customer_namespace;
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const externalBooks = { group: 'bdk.voyager.io', version: 'v1', plural: 'externalbookdefinitions' };
const rfc3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

interface Received {
  method: string;
  url: string;
  contentType: string | undefined;
  body: Buffer;
}
const bookRequests: Received[] = [];
const closers: (() => Promise<unknown>)[] = [];
let stack: Stack;
let kubeConfig: KubeConfig;

/** A book's HTTP endpoint: records every request, answers 202. */
async function startBookEndpoint(): Promise<number> {
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      bookRequests.push({ method: request.method ?? '', url: request.url ?? '', contentType: request.headers['content-type'], body: Buffer.concat(chunks) });
      response.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => server.close(resolve)));
  return (server.address() as AddressInfo).port;
}

/** The Model Manager: a real gRPC server with the book's prompts. */
async function startModelManager(): Promise<number> {
  const routes = (router: ConnectRouter) =>
    router.service(modelmanager.PromptService, {
      getBookPrompts: (request) =>
        create(modelmanager.GetBookPromptsResponseSchema, {
          prompts:
            request.bookName === 'customer-support'
              ? [{ name: 'triage', version: '3', template: 'Classify the ticket: {{subject}}', model: 'gpt-4o' }]
              : [],
        }),
    });
  const server = http2.createServer(connectNodeAdapter({ routes }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => server.close(resolve)));
  return (server.address() as AddressInfo).port;
}

async function rest(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const all = new Headers(headers);
  if (body !== undefined && !all.has('content-type')) all.set('content-type', 'application/json');
  const response = await fetch(`${stack.gatewayUrl}${path}`, {
    method,
    headers: all,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: (text ? JSON.parse(text) : undefined) as Record<string, unknown> };
}

function sign(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

beforeAll(async () => {
  const bookPort = await startBookEndpoint();
  const modelManagerPort = await startModelManager();
  const { KUBECONFIG: _ownCluster, ...env } = process.env;
  stack = await startStack({
    ...env,
    BDK_LOCAL_SIMULATE_WORKLOADS: 'false', // this test plays the kubelet itself, so it sees Pending first
    BDK_BOOK_URL_TEMPLATE: `http://127.0.0.1:${bookPort}/{namespace}/{service}`,
    BDK_MODEL_MANAGER_URL: `http://127.0.0.1:${modelManagerPort}`,
    BDK_WEBHOOK_SECRET_ZENDESK: webhookSecret,
  });
  closers.push(() => stack.stop());
  kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(stack.kubeconfig);
}, 200_000);

afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

describe("the seed's sequence diagram, through the gateway", () => {
  let bookId = '';
  let instanceId = '';
  let workload = '';
  let bookDefinitionName = '';

  it('POST /api/v1/books answers 201 with book_id, name, version and created_at; the prompts are stored', async () => {
    const created = await rest('POST', '/api/v1/books', createBookBody);
    expect(created.status).toBe(201);
    expect(Object.keys(created.json).sort()).toEqual(['book_id', 'created_at', 'name', 'version']);
    expect(created.json).toMatchObject({ name: 'customer-support', version: '1.0.0' });
    expect(created.json['book_id']).toMatch(uuid);
    expect(created.json['created_at']).toMatch(rfc3339);
    bookId = String(created.json['book_id']);

    const custom = kubeConfig.makeApiClient(CustomObjectsApi);
    const books = (await custom.listNamespacedCustomObject({ group: 'bdk.voyager.io', version: 'v1', namespace: 'bdk', plural: 'bookdefinitions' })) as {
      items: { metadata: { name: string; labels: Record<string, string> }; spec: { prompts?: { name: string; template: string }[] } }[];
    };
    const book = books.items.find((item) => item.metadata.labels['bdk.voyager.io/book-id'] === bookId);
    expect(book?.spec.prompts).toEqual([expect.objectContaining({ name: 'triage', template: 'Classify the ticket: {{subject}}' })]);
    bookDefinitionName = book?.metadata.name ?? '';

    const again = await rest('POST', '/api/v1/books', createBookBody);
    expect(again.status).toBe(409);
  });

  it('POST /api/v1/books/{book_id}/instances answers 201 with status Pending', async () => {
    const created = await rest('POST', `/api/v1/books/${bookId}/instances`, createInstanceBody);
    expect(created.status).toBe(201);
    expect(Object.keys(created.json).sort()).toEqual(['book_id', 'created_at', 'customer_namespace', 'instance_id', 'status']);
    expect(created.json).toMatchObject({ book_id: bookId, customer_namespace: customerNamespace, status: 'Pending' });
    expect(created.json['instance_id']).toMatch(uuid);
    instanceId = String(created.json['instance_id']);
  });

  it('the controller deploys the instance into the customer namespace', async () => {
    const apps = kubeConfig.makeApiClient(AppsV1Api);
    const core = kubeConfig.makeApiClient(CoreV1Api);
    const selector = `bdk.voyager.io/instance-id=${instanceId}`;
    const deployment = await waitUntil('the book Deployment', async () => (await apps.listNamespacedDeployment({ namespace: customerNamespace, labelSelector: selector })).items[0], {
      timeoutMs: 30_000,
    });
    workload = deployment.metadata?.name ?? '';
    expect(deployment.spec?.replicas).toBe(2);

    const secrets = await core.listNamespacedSecret({ namespace: customerNamespace, labelSelector: selector });
    expect(secrets.items).toHaveLength(1);
    const secret = secrets.items[0];
    expect(Buffer.from(secret?.data?.['zendesk_api_key'] ?? '', 'base64').toString()).toBe('encrypted_api_key');
    const env = deployment.spec?.template.spec?.containers.flatMap((container) => container.env ?? []) ?? [];
    expect(env).toContainEqual(
      expect.objectContaining({ name: 'ZENDESK_API_KEY', valueFrom: { secretKeyRef: expect.objectContaining({ name: secret?.metadata?.name, key: 'zendesk_api_key' }) } }),
    );

    const custom = kubeConfig.makeApiClient(CustomObjectsApi);
    const external = (await custom.getNamespacedCustomObject({ ...externalBooks, namespace: customerNamespace, name: workload })) as { spec: { descriptor: { name: string; version: string } } };
    expect(external.spec.descriptor).toMatchObject({ name: 'customer-support', version: '1.0.0' });

    // The instance read over REST never carries the credential value.
    const read = await rest('GET', `/api/v1/books/${bookId}/instances/${instanceId}`);
    expect(read.status).toBe(200);
    expect(JSON.stringify(read.json)).not.toContain('encrypted_api_key');
    expect(read.json['instance']).toMatchObject({ instance_id: instanceId, status: { phase: 'Pending' } });
  });

  it('the instance turns Ready over REST once its Deployment reports every replica ready', async () => {
    await markDeploymentReady(kubeConfig, customerNamespace, workload);
    const instance = await waitUntil(
      'the instance to be Ready',
      async () => {
        const read = await rest('GET', `/api/v1/books/${bookId}/instances/${instanceId}`);
        const current = read.json['instance'] as { status?: { phase?: string } } | undefined;
        return current?.status?.phase === 'Ready' && current;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(instance).toMatchObject({ status: { phase: 'Ready', deployment_status: { ready_replicas: 2, total_replicas: 2 } } });
  });

  it('a signed webhook answers 200 as the seed shows and its exact bytes reach the book endpoint', async () => {
    const headers = { ...seedWebhookHeaders, 'X-Hub-Signature-256': sign(webhookBody, webhookSecret) };
    const delivered = await rest('POST', '/api/v1/webhooks/zendesk', webhookBody, headers);
    expect(delivered.status).toBe(200);
    expect(delivered.json).toMatchObject({ processed: true, routed_to: `${customerNamespace}/${bookDefinitionName}` });
    expect(delivered.json['webhook_id']).toMatch(uuid);
    expect(typeof delivered.json['processing_time_ms']).toBe('number');

    const arrived = bookRequests.find((request) => request.url === `/${customerNamespace}/${workload}/webhooks/zendesk`);
    expect(arrived).toMatchObject({ method: 'POST', contentType: 'application/json' });
    expect(arrived?.body.toString('utf8')).toBe(webhookBody);
  });

  it('a webhook with a bad signature answers 401 and reaches no book', async () => {
    const before = bookRequests.length;
    const rejected = await rest('POST', '/api/v1/webhooks/zendesk', webhookBody, { 'X-Hub-Signature-256': sign(webhookBody, 'wrong') });
    expect(rejected.status).toBe(401);
    expect(rejected.json).toMatchObject({ code: 16 });
    expect(bookRequests).toHaveLength(before);
  });

  it('deleting the instance removes what was deployed for it', async () => {
    const deleted = await rest('DELETE', `/api/v1/books/${bookId}/instances/${instanceId}`);
    expect(deleted.status).toBe(200);
    const apps = kubeConfig.makeApiClient(AppsV1Api);
    const core = kubeConfig.makeApiClient(CoreV1Api);
    const custom = kubeConfig.makeApiClient(CustomObjectsApi);
    const selector = `bdk.voyager.io/instance-id=${instanceId}`;
    await waitUntil(
      'the customer-namespace objects to go',
      async () => {
        const left = [
          ...(await apps.listNamespacedDeployment({ namespace: customerNamespace, labelSelector: selector })).items,
          ...(await core.listNamespacedSecret({ namespace: customerNamespace, labelSelector: selector })).items,
          ...(await core.listNamespacedService({ namespace: customerNamespace, labelSelector: selector })).items,
          ...(await core.listNamespacedConfigMap({ namespace: customerNamespace, labelSelector: selector })).items,
          ...((await custom.listNamespacedCustomObject({ ...externalBooks, namespace: customerNamespace, labelSelector: selector })) as { items: unknown[] }).items,
        ];
        return left.length === 0;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    await waitUntil('the instance to be gone', async () => (await rest('GET', `/api/v1/books/${bookId}/instances/${instanceId}`)).status === 404, {
      timeoutMs: 30_000,
      intervalMs: 250,
    });
  });
});
