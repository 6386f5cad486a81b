// Payload contracts end to end within the router's pod: the real Envoy sidecar transcoding REST to the BUILT
// router as its own process, which asks a BookControllerService stand-in on loopback (test/controller-stand-in.ts)
// for the subscribers, each with its book's payload contract as the controller sends it, and dispatches to it.
// Two instances of one organisation verify the same signature; one's book declares a payload schema and a mapped
// input (the spec's customer-support book), the other's none. The delivery log is read through the sidecar with a
// real JWT of a local issuer.
import { create } from '@bufbuild/protobuf';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { permissions } from '@bdk/auth';
import { IntegrationConfigSchema, SchemaFieldSchema } from '@bdk/proto';
import { startApp, startEnvoy, type RunningApp, type RunningEnvoy } from '@bdk/testing';
import { generateSigningSecret, signPayload } from '@bdk/webhooks';
import { startControllerStandIn, type ControllerStandIn, type StandInSubscriber } from './controller-stand-in.js';
import { createRouterIdentity, type RouterIdentity } from './router-identity.js';

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
    book,
  };
}

// The spec's customer-support book, with a schema for the Zendesk payload and its customer_id input mapped.
const strict: StandInSubscriber = {
  ...instance('customer-support-1-0-0'),
  payloadContract: create(IntegrationConfigSchema, {
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
  inputs: [create(SchemaFieldSchema, { name: 'customer_id', type: 'string', required: true })],
};
const lenient = instance('ticket-archive-1-0-0');

let identity: RouterIdentity | undefined;
let controller: ControllerStandIn | undefined;
let router: RunningApp | undefined;
let envoy: RunningEnvoy | undefined;

beforeAll(async () => {
  identity = await createRouterIdentity(`router-sa-token-${randomUUID()}`);
  controller = await startControllerStandIn(namespace);
  controller.subscribers.push(strict);
  router = await startApp('webhook-router', {
    ...identity.env,
    BDK_CONTROLLER_URL: controller.url,
    BDK_CONTROLLER_TIMEOUT_MS: '3000',
    // Every webhook asks the controller: a test changes the subscribers between requests.
    BDK_WEBHOOK_SUBSCRIBER_CACHE_MS: '0',
  });
  envoy = await startEnvoy({ config: 'envoy/sidecar.yaml', upstreams: { app_grpc: router.grpcPort } });
}, 120_000);

afterAll(async () => {
  await envoy?.stop();
  await router?.stop();
  await controller?.stop();
  await identity?.remove();
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
  const metrics = await (await fetch(`http://127.0.0.1:${router?.adminPort}/metrics`)).text();
  const line = metrics.split('\n').find((l) => l.startsWith('bdk_webhooks_total{') && l.includes('source="zendesk"') && l.includes('outcome="invalid_payload"'));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

/** The organisation's delivery log through the sidecar: the webhook ids, newest first. */
async function deliveryLog(): Promise<string[]> {
  const token = await identity?.token({ organizationId: 'org-acme', permissions: [permissions.deliveriesRead] });
  const response = await fetch(`${envoy?.url}/api/v1/webhooks/deliveries?page_size=100`, { headers: { authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  return ((await response.json()) as { deliveries: { webhook_id: string }[] }).deliveries.map((d) => d.webhook_id);
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
    // Every violation in the details, for a client to act on the field.
    expect(answer['details']).toEqual([
      {
        '@type': 'type.googleapis.com/google.rpc.BadRequest',
        field_violations: expect.arrayContaining([
          { field: '/ticket/id', description: 'must be string', reason: '' },
          { field: '/ticket/subject', description: "must have required property 'subject'", reason: '' },
          { field: '/ticket/priority', description: 'must be equal to one of the allowed values', reason: '' },
          { field: '/timestamp', description: 'must match format "date-time"', reason: '' },
          { field: '/ticket/customer_id', description: 'must hold the book\'s required input "customer_id"', reason: '' },
        ]) as unknown,
      },
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'PAYLOAD_SCHEMA_VIOLATION',
        domain: 'bdk.voyager.io',
        metadata: { source: 'zendesk', book: 'customer-support-1-0-0' },
      },
    ]);
    expect(controller?.dispatched.length).toBe(dispatchedBefore);
    // The delivery log has no entry for it: nothing was recorded.
    expect(await deliveryLog()).toEqual(loggedBefore);
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
    const { status, text } = await post(valid);
    expect(status).toBe(200);
    const answer = json(text);
    expect(answer).toMatchObject({ processed: true, routed_to: strict.routedTo, targets: [strict.routedTo], refused_targets: [] });
    const request = controller?.dispatched.at(-1);
    expect(request?.webhookId).toBe(answer['webhook_id']);
    expect(Buffer.from(request?.payload ?? []).equals(valid)).toBe(true);
    expect((await deliveryLog())[0]).toBe(answer['webhook_id']);
  });

  it('delivers to the instance whose book takes the payload, and names the one whose book refused it', async () => {
    controller?.subscribers.push(lenient);
    try {
      const body = Buffer.from('{"ticket": {"id": 12345}}');
      const { status, text } = await post(body);
      expect(status).toBe(200);
      expect(json(text)).toMatchObject({ processed: true, routed_to: lenient.routedTo, targets: [lenient.routedTo], refused_targets: [strict.routedTo] });
      expect(controller?.dispatched.at(-1)?.targets.map((t) => t.name)).toEqual([lenient.name]);

      // Both take a payload that matches the strict book's contract.
      const both = await post(valid);
      expect(json(both.text)).toMatchObject({ targets: expect.arrayContaining([strict.routedTo, lenient.routedTo]) as unknown, refused_targets: [] });
    } finally {
      controller?.subscribers.splice(controller.subscribers.indexOf(lenient), 1);
    }
  });
});
