// The spec's sequence diagram end to end, through the REST gateway of the local stack (real Envoy gateway and
// sidecars, the three apps, a real kube-apiserver with the controller-manager, scheduler and kwok's fake Nodes that
// run the book Pods), with two organisations sharing the control plane: a platform
// admin publishes a book (the library fetches its prompts from a Model Manager); each organisation creates an
// instance with its bearer token and gets the instance's own webhook signing secret; the controller deploys each
// into its customer namespace; a webhook signed with one organisation's secret reaches only that organisation's
// book, byte for byte; neither organisation can see, change or trigger the other's; deleting an instance removes
// what was deployed. The Model Manager and the book's endpoint are external systems: real servers on loopback.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { issueToken, localAuthDir, organizationPermissions, platformAdminPermissions, readLocalSigningKey } from '@bdk/auth';
import {
  seedCreateBookRequest,
  seedCreateInstanceRequest,
  seedWebhookBody,
  seedWebhookHeaders,
  setNodesSchedulable,
  startBookEndpoint,
  startModelManager,
  waitForRollout,
  waitUntil,
  type ReceivedRequest,
} from '@bdk/testing';
import { signPayload } from '@bdk/webhooks';
import { startStack, type Stack } from './support/local-stack.js';

/** The spec's book, with the webhook integration its BookDefinition example declares (the REST example leaves it out). */
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
const organization = createInstanceBody.organization_id;
/** The second organisation, with the same book in its own namespace. */
const other = { organization: 'org-globex-456', namespace: 'customer-globex' };
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const externalBooks = { group: 'bdk.voyager.io', version: 'v1', plural: 'externalbookdefinitions' };
const rfc3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

/** What the book endpoint received (the controller's triggers). */
let bookRequests: ReceivedRequest[] = [];
const closers: (() => Promise<unknown>)[] = [];
let stack: Stack;
let kubeConfig: KubeConfig;
/** The stack's fake Nodes, cordoned until the test lets the book Pods run. */
let nodes: string[] = [];

/** Bearer tokens of the stack's own issuer (what `npm run token` prints). */
const tokens = { admin: '', acme: '', globex: '', acmeReadOnly: '' };

/** `token` '' sends none; by default the first organisation's member's. */
async function rest(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, token: string = tokens.acme) {
  const all = new Headers(headers);
  if (token) all.set('authorization', `Bearer ${token}`);
  if (body !== undefined && !all.has('content-type')) all.set('content-type', 'application/json');
  const response = await fetch(`${stack.gatewayUrl}${path}`, {
    method,
    headers: all,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: (text ? JSON.parse(text) : undefined) as Record<string, unknown> };
}

/** A webhook as Zendesk sends it, signed with `secret`; unauthenticated but for its signature. */
function webhook(path: string, secret: string, options: { timestamp?: Date; body?: string } = {}) {
  const body = options.body ?? webhookBody;
  const signature = signPayload({ scheme: 'zendesk', payload: Buffer.from(body), secret, timestamp: options.timestamp });
  return rest('POST', path, body, { ...seedWebhookHeaders, ...signature }, '');
}

beforeAll(async () => {
  const book = await startBookEndpoint();
  closers.push(() => book.close());
  bookRequests = book.requests;
  const modelManager = await startModelManager();
  closers.push(() => modelManager.close());
  const { KUBECONFIG: _ownCluster, ...env } = process.env;
  stack = await startStack({
    ...env,
    BDK_BOOK_URL_TEMPLATE: `http://127.0.0.1:${book.port}/{namespace}/{service}`,
    BDK_MODEL_MANAGER_URL: modelManager.url,
    // A webhook held for a suspended instance is offered again every second, not every 15.
    BDK_DELIVERY_HELD_RECHECK_MS: '1000',
  });
  closers.push(() => stack.stop());
  const key = await readLocalSigningKey(localAuthDir(stack.stateDir));
  if (!key) throw new Error('the local stack wrote no signing key');
  const token = (subject: string, organizationId: string | undefined, permissions: readonly string[]) =>
    issueToken({ key, issuer: key.issuer, audience: key.audience, subject, organizationId, permissions });
  tokens.admin = await token('platform-admin', undefined, platformAdminPermissions);
  tokens.acme = await token('alice', organization, organizationPermissions);
  tokens.globex = await token('bob', other.organization, organizationPermissions);
  tokens.acmeReadOnly = await token('auditor', organization, ['books:read', 'instances:read']);
  kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(stack.kubeconfig);
  // Book Pods wait to be scheduled until the instance has been seen Pending.
  nodes = (await kubeConfig.makeApiClient(CoreV1Api).listNode()).items.map((node) => node.metadata?.name ?? '');
  await setNodesSchedulable(kubeConfig, nodes, false);
}, 200_000);

afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

describe("the spec's sequence diagram, through the gateway", () => {
  let bookId = '';
  let instanceId = '';
  let workload = '';
  let bookDefinitionName = '';

  let signingSecret = '';
  let webhookUrl = '';
  let otherInstanceId = '';
  let otherSigningSecret = '';

  it('answers 401 JSON without a token and 403 JSON without the permission', async () => {
    const anonymous = await rest('GET', '/api/v1/books', undefined, {}, '');
    expect([anonymous.status, anonymous.json['code']]).toEqual([401, 16]);
    const forged = await rest('GET', '/api/v1/books', undefined, {}, `${tokens.acme.slice(0, -4)}AAAA`);
    expect([forged.status, forged.json['code']]).toEqual([401, 16]);
    // Publishing to the shared catalogue is a platform-admin permission, not an organisation's.
    const byOrganization = await rest('POST', '/api/v1/books', createBookBody);
    expect([byOrganization.status, byOrganization.json['code']]).toEqual([403, 7]);
  });

  it('POST /api/v1/books answers 201 with book_id, name, version and created_at; the prompts are stored', async () => {
    const created = await rest('POST', '/api/v1/books', createBookBody, {}, tokens.admin);
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

    const again = await rest('POST', '/api/v1/books', createBookBody, {}, tokens.admin);
    expect(again.status).toBe(409);
    // Every organisation reads the shared catalogue.
    expect((await rest('GET', `/api/v1/books/${bookId}`, undefined, {}, tokens.globex)).status).toBe(200);
  });

  it('POST /api/v1/books/{book_id}/instances answers 201 with status Pending, then the webhook to configure', async () => {
    const created = await rest('POST', `/api/v1/books/${bookId}/instances`, createInstanceBody);
    expect(created.status).toBe(201);
    expect(Object.keys(created.json)).toEqual(['instance_id', 'book_id', 'customer_namespace', 'status', 'created_at', 'webhooks']);
    expect(created.json).toMatchObject({ book_id: bookId, customer_namespace: customerNamespace, status: 'Pending' });
    expect(created.json['instance_id']).toMatch(uuid);
    instanceId = String(created.json['instance_id']);
    const webhooks = created.json['webhooks'] as { source: string; url: string; signing_secret: string; scheme: string }[];
    expect(webhooks).toEqual([
      { source: 'zendesk', scheme: 'zendesk', url: `${stack.gatewayUrl}/api/v1/webhooks/zendesk/instances/${instanceId}`, signing_secret: expect.stringMatching(/^whsec_/) },
    ]);
    signingSecret = webhooks[0]?.signing_secret ?? '';
    webhookUrl = webhooks[0]?.url ?? '';

    // The second organisation: the same book, its own namespace, its own secret; organization_id left to the token.
    const { organization_id: _theirs, ...withoutOrganization } = createInstanceBody;
    const theirs = await rest('POST', `/api/v1/books/${bookId}/instances`, { ...withoutOrganization, customer_namespace: other.namespace }, {}, tokens.globex);
    expect(theirs.status).toBe(201);
    otherInstanceId = String(theirs.json['instance_id']);
    otherSigningSecret = (theirs.json['webhooks'] as { signing_secret: string }[])[0]?.signing_secret ?? '';
    expect(otherSigningSecret).not.toBe(signingSecret);
  });

  it("keeps each organisation out of the other's instances, namespaces and name", async () => {
    const path = `/api/v1/books/${bookId}/instances/${instanceId}`;
    for (const [method, route, body] of [
      ['GET', path, undefined],
      ['DELETE', path, undefined],
      ['POST', `${path}/credentials:rotate`, { credentials: [{ name: 'zendesk_api_key', value: 'stolen' }] }],
      ['POST', `${path}/webhooks/zendesk:rotateSecret`, {}],
    ] as const) {
      const answer = await rest(method, route, body, {}, tokens.globex);
      expect({ method, route, status: answer.status, code: answer.json['code'] }).toEqual({ method, route, status: 404, code: 5 });
    }
    const listed = await rest('GET', `/api/v1/books/${bookId}/instances`, undefined, {}, tokens.globex);
    expect((listed.json['instances'] as { instance_id: string }[]).map((instance) => instance.instance_id)).toEqual([otherInstanceId]);

    const intoTheirNamespace = await rest('POST', `/api/v1/books/${bookId}/instances`, { ...createInstanceBody, organization_id: '' }, {}, tokens.globex);
    expect([intoTheirNamespace.status, intoTheirNamespace.json['code']]).toEqual([403, 7]);
    const asThem = await rest('POST', `/api/v1/books/${bookId}/instances`, { ...createInstanceBody, customer_namespace: other.namespace }, {}, tokens.globex);
    expect([asThem.status, asThem.json['code']]).toEqual([403, 7]);
    const system = await rest('POST', `/api/v1/books/${bookId}/instances`, { ...createInstanceBody, customer_namespace: 'kube-system' });
    expect([system.status, system.json['message']]).toEqual([400, expect.stringMatching(/^customer_namespace: /)]);
    // Read-only callers read, and change nothing.
    expect((await rest('GET', path, undefined, {}, tokens.acmeReadOnly)).status).toBe(200);
    expect((await rest('DELETE', path, undefined, {}, tokens.acmeReadOnly)).status).toBe(403);
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

    const secrets = await core.listNamespacedSecret({ namespace: customerNamespace, labelSelector: `${selector},bdk.voyager.io/secret-purpose=credentials` });
    expect(secrets.items).toHaveLength(1);
    const secret = secrets.items[0];
    const namespace = await core.readNamespace({ name: customerNamespace });
    expect(namespace.metadata?.labels?.['bdk.voyager.io/organization-id']).toBe(organization);
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

  it('the instance turns Ready over REST once its Pods run', async () => {
    await setNodesSchedulable(kubeConfig, nodes, true);
    await waitForRollout(kubeConfig, customerNamespace, workload);
    const instance = await waitUntil(
      'the instance to be Ready',
      async () => {
        const read = await rest('GET', `/api/v1/books/${bookId}/instances/${instanceId}`);
        const current = read.json['instance'] as { status?: { phase?: string } } | undefined;
        return current?.status?.phase === 'Ready' && current;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(instance).toMatchObject({ status: { phase: 'Ready', deployment_status: { ready_replicas: 2, total_replicas: 2 } } });
  }, 120_000);

  it("a webhook signed with the instance's secret answers 200 as the spec shows and reaches only that book, byte for byte", async () => {
    const delivered = await webhook('/api/v1/webhooks/zendesk', signingSecret);
    expect(delivered.status).toBe(200);
    expect(delivered.json).toMatchObject({ processed: true, routed_to: `${customerNamespace}/${bookDefinitionName}`, targets: [`${customerNamespace}/${bookDefinitionName}`] });
    expect(delivered.json['webhook_id']).toMatch(uuid);
    expect(typeof delivered.json['processing_time_ms']).toBe('number');

    const arrived = bookRequests.find((request) => request.url === `/${customerNamespace}/${workload}/webhooks/zendesk`);
    expect(arrived).toMatchObject({ method: 'POST', contentType: 'application/json' });
    expect(arrived?.body.toString('utf8')).toBe(webhookBody);
    expect(bookRequests.filter((request) => request.url.startsWith(`/${other.namespace}/`))).toEqual([]);
  });

  it("the other organisation's webhook reaches only its own book, and the instance URL reaches one instance", async () => {
    const theirs = await webhook('/api/v1/webhooks/zendesk', otherSigningSecret);
    expect(theirs.status).toBe(200);
    expect(String(theirs.json['routed_to'])).toMatch(new RegExp(`^${other.namespace}/`));
    expect(JSON.stringify(theirs.json)).not.toContain(customerNamespace);

    const before = bookRequests.length;
    const addressed = await webhook(new URL(webhookUrl).pathname, signingSecret);
    expect(addressed.status).toBe(200);
    expect(addressed.json['routed_to']).toBe(`${customerNamespace}/${bookDefinitionName}`);
    // Signed with the other organisation's secret, the same instance URL is refused.
    expect((await webhook(new URL(webhookUrl).pathname, otherSigningSecret)).status).toBe(401);
    expect(bookRequests.slice(before).map((request) => request.url)).toEqual([`/${customerNamespace}/${workload}/webhooks/zendesk`]);
  });

  it('a webhook with a wrong or stale signature answers 401 JSON and reaches no book', async () => {
    const before = bookRequests.length;
    const wrong = await webhook('/api/v1/webhooks/zendesk', 'whsec_' + Buffer.alloc(32, 7).toString('base64'));
    expect([wrong.status, wrong.json['code']]).toEqual([401, 16]);
    const replayed = await webhook('/api/v1/webhooks/zendesk', signingSecret, { timestamp: new Date(Date.now() - 10 * 60_000) });
    expect([replayed.status, replayed.json['code']]).toEqual([401, 16]);
    expect(bookRequests).toHaveLength(before);
  });

  it("lists each organisation's deliveries only, and only with a token", async () => {
    expect((await rest('GET', '/api/v1/webhooks/deliveries', undefined, {}, '')).status).toBe(401);
    const ours = await rest('GET', '/api/v1/webhooks/deliveries');
    const theirs = await rest('GET', '/api/v1/webhooks/deliveries', undefined, {}, tokens.globex);
    const targets = (answer: typeof ours) => (answer.json['deliveries'] as { targets: string[] }[]).flatMap((delivery) => delivery.targets);
    expect(targets(ours).length).toBeGreaterThan(0);
    expect(targets(ours).every((target) => target.startsWith(`${customerNamespace}/`))).toBe(true);
    expect(targets(theirs).every((target) => target.startsWith(`${other.namespace}/`))).toBe(true);
  });

  it('a suspended instance holds its webhooks: accepted, not delivered, then delivered once it resumes', async () => {
    const instancePath = `/api/v1/books/${bookId}/instances/${instanceId}`;
    expect((await rest('POST', `${instancePath}:suspend`, {})).status).toBe(200);
    await waitUntil('phase Suspended', async () => ((await rest('GET', instancePath)).json['instance'] as { status?: { phase?: string } }).status?.phase === 'Suspended', {
      timeoutMs: 30_000,
      intervalMs: 250,
    });
    const before = bookRequests.length;
    const body = JSON.stringify({ ticket: { id: 'held-1', subject: 'while suspended' } });
    const held = await webhook('/api/v1/webhooks/zendesk', signingSecret, { body });
    expect(held.status).toBe(200);
    expect(held.json['processed']).toBe(false);
    const webhookId = String(held.json['webhook_id']);
    // Several rechecks pass; nothing reaches the book and no attempt is spent.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(bookRequests.slice(before).filter((request) => request.body.toString('utf8') === body)).toEqual([]);
    const pending = await rest('GET', `/api/v1/webhooks/deliveries/${webhookId}`);
    expect(pending.json['delivery']).toMatchObject({ state: 'pending', attempts: 0 });

    expect((await rest('POST', `${instancePath}:resume`, {})).status).toBe(200);
    await waitUntil('the held webhook delivered', () => bookRequests.slice(before).some((request) => request.body.toString('utf8') === body), { timeoutMs: 60_000, intervalMs: 250 });
    const delivered = await waitUntil(
      'delivery state delivered',
      async () => {
        const read = await rest('GET', `/api/v1/webhooks/deliveries/${webhookId}`);
        return (read.json['delivery'] as { state?: string } | undefined)?.state === 'delivered' && read;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(delivered.json['delivery']).toMatchObject({ state: 'delivered', attempts: 1 });
  }, 120_000);

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
