// Payload contracts end to end within the router's pod: the real Envoy sidecar transcoding REST to the router's
// WebhookService, served in this process by the service runtime on loopback (so each instance's contract can be
// handed to the intake), with the real SQLite delivery store on a temp file, the real dispatcher, and a
// BookControllerService stand-in on loopback (test/controller-stand-in.ts) listing the subscribers and taking the
// triggers. Two instances of one organisation verify the same signature; one's book declares a payload schema and
// mapped inputs, the other's none.
import { create } from '@bufbuild/protobuf';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { IntegrationConfigSchema, SchemaFieldSchema, WebhookService } from '@bdk/proto';
import { createControllerClient, startService, type RunningService } from '@bdk/service-runtime';
import { startEnvoy, type RunningEnvoy } from '@bdk/testing';
import { generateSigningSecret, signPayload } from '@bdk/webhooks';
import type { DeliveryStore } from '../src/delivery/delivery-store.js';
import { createDispatcher, type Dispatcher } from '../src/delivery/dispatcher.js';
import { openSqliteDeliveryStore } from '../src/delivery/sqlite-store.js';
import { payloadContract, type PayloadContract } from '../src/intake/payload-contract.js';
import { createSubscriberCache } from '../src/intake/subscriber-cache.js';
import { TokenBuckets } from '../src/intake/token-buckets.js';
import { createWebhookMetrics } from '../src/intake/webhook-metrics.js';
import { webhookService } from '../src/webhook-service.js';
import { startControllerStandIn, type ControllerStandIn, type StandInSubscriber } from './controller-stand-in.js';

const namespace = 'bdk';
const secret = generateSigningSecret();

function instance(book: string): StandInSubscriber {
  const instanceId = randomUUID();
  return {
    source: 'zendesk',
    instanceId,
    organizationId: 'org-acme',
    name: `customer-acme-${book}-${instanceId.slice(0, 8)}`,
    routedTo: `customer-acme/${book}`,
    scheme: 'zendesk',
    secrets: [secret],
  };
}

const strict = instance('customer-support-1-0-0');
const lenient = instance('ticket-archive-1-0-0');
// The spec's customer-support book, with a schema for the Zendesk payload and its customer_id input mapped.
const strictContract = payloadContract(
  'customer-support-1-0-0',
  create(IntegrationConfigSchema, {
    endpoint: '/webhooks/zendesk',
    payloadSchema: {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      required: ['ticket'],
      properties: {
        ticket: {
          type: 'object',
          required: ['id', 'subject'],
          properties: { id: { type: 'string' }, subject: { type: 'string' }, priority: { enum: ['low', 'normal', 'high', 'urgent'] } },
        },
        timestamp: { type: 'string', format: 'date-time' },
      },
    },
    inputMapping: { customer_id: '/ticket/customer_id' },
  }),
  [create(SchemaFieldSchema, { name: 'customer_id', type: 'string', required: true })],
);
const contracts = new Map<string, PayloadContract | undefined>([[strict.instanceId, strictContract]]);

let directory: string | undefined;
let controller: ControllerStandIn | undefined;
let store: DeliveryStore | undefined;
let dispatcher: Dispatcher | undefined;
let router: RunningService | undefined;
let envoy: RunningEnvoy | undefined;

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'bdk-payload-validation-'));
  controller = await startControllerStandIn(namespace);
  controller.subscribers.push(strict);
  const controllerClient = createControllerClient({ baseUrl: controller.url, token: async () => 'router-sa-token' });
  const openStore = openSqliteDeliveryStore({ path: path.join(directory, 'deliveries.sqlite') });
  store = openStore;
  router = await startService({
    name: 'webhook-router',
    env: { GRPC_HOST: '127.0.0.1', GRPC_PORT: '0', ADMIN_PORT: '0' },
    routes: (routes, { logger, registry }) => {
      dispatcher = createDispatcher({
        store: openStore,
        controller: controllerClient,
        policy: { delaysMs: [60_000], jitter: 0 },
        attemptTimeoutMs: 3_000,
        leaseMs: 13_000,
        concurrency: 8,
        pollMs: 200,
        logger,
        metrics: { attempted: () => undefined, queue: () => undefined },
      });
      routes.service(
        WebhookService,
        webhookService({
          subscribers: createSubscriberCache({ load: async (key) => (await controllerClient.listWebhookSubscribers(key)).subscribers, ttlMs: 0 }),
          store: openStore,
          dispatcher,
          concurrency: 8,
          firstAttemptBudgetMs: 2_000,
          leaseMs: 13_000,
          idempotencyWindowMs: 3_600_000,
          limits: {
            perSource: new TokenBuckets({ ratePerSecond: 0, burst: 1 }),
            perOrganization: new TokenBuckets({ ratePerSecond: 0, burst: 1 }),
            maxPending: 1_000,
            queueDepth: () => 0,
            noteAccepted: () => undefined,
          },
          onReplayed: () => undefined,
          timestampToleranceSeconds: 300,
          logger,
          metrics: createWebhookMetrics(registry),
          payloadContract: (verified) => contracts.get(verified.instanceId),
        }),
      );
    },
  });
  envoy = await startEnvoy({ config: 'envoy/sidecar.yaml', upstreams: { app_grpc: router.grpc.port } });
}, 120_000);

afterAll(async () => {
  await envoy?.stop();
  await router?.close();
  await dispatcher?.stop();
  await store?.close();
  await controller?.stop();
  if (directory) await rm(directory, { recursive: true, force: true });
}, 60_000);

/** Header names as senders write them; HTTP does not care, but this is what arrives at Envoy. */
const asSent = (headers: Record<string, string>) =>
  Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase()), value]));

async function post(body: Buffer, contentType = 'application/json') {
  const response = await fetch(`${envoy?.url}/api/v1/webhooks/zendesk`, {
    method: 'POST',
    headers: { 'content-type': contentType, 'X-Webhook-Event': 'ticket.created', ...asSent(signPayload({ scheme: 'zendesk', payload: body, secret })) },
    body,
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

async function invalidPayloadsCounted(): Promise<number> {
  const metrics = await (await fetch(`http://127.0.0.1:${router?.admin.port}/metrics`)).text();
  const line = metrics.split('\n').find((l) => l.startsWith('bdk_webhooks_total{') && l.includes('source="zendesk"') && l.includes('outcome="invalid_payload"'));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

/** The organisation's delivery log, as ListDeliveries reads it. */
async function deliveryLog(): Promise<string[]> {
  return ((await store?.list({ organizationId: 'org-acme' }, { pageSize: 100 }))?.deliveries ?? []).map((d) => d.webhookId);
}

const json = (text: string) => JSON.parse(text) as Record<string, unknown>;

// The spec's Zendesk webhook body.
const valid = Buffer.from(
  '{"ticket": {"id": "12345", "subject": "Login issue", "customer_id": "customer-789", "priority": "high"}, "timestamp": "2024-01-01T00:00:00Z"}',
);

describe('POST /api/v1/webhooks/{source} with a payload contract, through the sidecar', () => {
  it('answers 422 with the violations to a payload the book does not accept, and records and delivers nothing', async () => {
    const dispatchedBefore = controller?.dispatched.length;
    const countedBefore = await invalidPayloadsCounted();
    const loggedBefore = await deliveryLog();
    const body = Buffer.from('{"ticket": {"id": 12345, "priority": "asap"}, "timestamp": "yesterday"}');
    const { status, headers, text } = await post(body);
    expect(status).toBe(422);
    expect(headers.get('content-type')).toBe('application/json');
    // The header that asked for 422 is the sidecar's, not the client's.
    expect(headers.get('x-bdk-http-status')).toBeNull();
    const answer = json(text);
    expect(answer['code']).toBe(3);
    expect(answer['message']).toMatch(/^the payload does not match what the book accepts from this source: /);
    for (const violation of ["/ticket/subject must have required property 'subject'", '/ticket/id must be string']) {
      expect(answer['message']).toContain(violation);
    }
    expect(answer['message']).toMatch(/\(and \d+ more\)$/);
    expect(controller?.dispatched.length).toBe(dispatchedBefore);
    // The delivery log has no entry for it: nothing was recorded.
    expect(await deliveryLog()).toEqual(loggedBefore);
    expect((await store?.stats())?.pending).toBe(0);
    expect(await invalidPayloadsCounted()).toBe(countedBefore + 1);
  });

  it('answers 422 to a body that is not JSON, and to one without the book\u2019s required input', async () => {
    const form = await post(Buffer.from('ticket_id=12345&subject=Login+issue'), 'application/x-www-form-urlencoded');
    expect([form.status, json(form.text)['message']]).toEqual([422, 'the payload does not match what the book accepts from this source: the payload must be JSON']);
    const noCustomer = await post(Buffer.from('{"ticket": {"id": "12345", "subject": "Login issue"}}'));
    expect(noCustomer.status).toBe(422);
    expect(json(noCustomer.text)['message']).toBe(
      'the payload does not match what the book accepts from this source: /ticket/customer_id must hold the book\'s required input "customer_id"',
    );
  });

  it('delivers a payload that matches, byte for byte, and records it', async () => {
    const { status, headers, text } = await post(valid);
    expect(status).toBe(200);
    expect(headers.get('x-bdk-refused-targets')).toBeNull();
    const answer = json(text);
    expect(answer).toMatchObject({ processed: true, routed_to: strict.routedTo, targets: [strict.routedTo] });
    const request = controller?.dispatched.at(-1);
    expect(request?.webhookId).toBe(answer['webhook_id']);
    expect(Buffer.from(request?.payload ?? []).equals(valid)).toBe(true);
    expect(await store?.get('org-acme', String(answer['webhook_id']))).toMatchObject({ state: 'delivered' });
  });

  it('delivers to the instance whose book takes the payload, and names the one whose book refused it', async () => {
    controller?.subscribers.push(lenient);
    try {
      const body = Buffer.from('{"ticket": {"id": 12345}}');
      const { status, headers, text } = await post(body);
      expect(status).toBe(200);
      expect(json(text)).toMatchObject({ processed: true, routed_to: lenient.routedTo, targets: [lenient.routedTo] });
      expect(headers.get('x-bdk-refused-targets')).toBe(strict.routedTo);
      expect(controller?.dispatched.at(-1)?.targets.map((t) => t.name)).toEqual([lenient.name]);

      // Both take a payload that matches the strict book's contract.
      const both = await post(valid);
      expect(json(both.text)['targets']).toEqual(expect.arrayContaining([strict.routedTo, lenient.routedTo]));
      expect(both.headers.get('x-bdk-refused-targets')).toBeNull();
    } finally {
      controller?.subscribers.splice(controller.subscribers.indexOf(lenient), 1);
    }
  });
});
