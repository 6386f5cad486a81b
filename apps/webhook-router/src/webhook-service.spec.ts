import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, createClient, createHandlerContext, createRouterTransport } from '@connectrpc/connect';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import {
  BookControllerService,
  DeliverWebhookRequestSchema,
  ListDeliveriesRequestSchema,
  ReplayDeliveryRequestSchema,
  WebhookService,
  type DispatchTriggerRequest,
} from '@bdk/proto';
import { createLogger } from '@bdk/service-runtime';
import { DeliveryLog } from './delivery-log.js';
import type { RouteTarget } from './routing.js';
import { readWebhookSecrets } from './secret-store.js';
import { signPayload } from './signature.js';
import type { WebhookOutcome } from './webhook-metrics.js';
import { webhookService } from './webhook-service.js';

const secret = 'gh-secret';
const payload = Buffer.from('{"action":"opened"}');
const acme: RouteTarget = { namespace: 'bdk', name: 'customer-acme-ci-1a2b3c4d', routedTo: 'customer-acme/ci-book-1-0-0' };
const globex: RouteTarget = { namespace: 'bdk', name: 'customer-globex-ci-5e6f7a8b', routedTo: 'customer-globex/ci-book-1-0-0' };

let dispatched: DispatchTriggerRequest[];
let controllerAnswer: (request: DispatchTriggerRequest) => unknown;
let routes: Record<string, RouteTarget[]>;
let counted: [string, WebhookOutcome][];
let logLines: string[];
let deliveries: DeliveryLog;

function service() {
  const transport = createRouterTransport((router) =>
    router.service(BookControllerService, {
      dispatchTrigger(request) {
        dispatched.push(request);
        return controllerAnswer(request) as never;
      },
    }),
  );
  return webhookService({
    secrets: readWebhookSecrets({ BDK_WEBHOOK_SECRET_GITHUB: secret, BDK_WEBHOOK_UNSIGNED_SOURCES: 'zendesk' }),
    routes: { targetsFor: (source) => routes[source] ?? [] },
    controller: createClient(BookControllerService, transport),
    controllerTimeoutMs: 1_000,
    logger: createLogger('test', { write: (line) => logLines.push(line) }),
    metrics: { count: (source, outcome) => counted.push([source, outcome]) },
    deliveries,
  });
}

function deliver(source: string, headers: Record<string, string>, body: Uint8Array = payload) {
  const context = createHandlerContext({
    service: WebhookService,
    method: WebhookService.method.deliverWebhook,
    protocolName: 'grpc',
    requestMethod: 'POST',
    url: `http://router/bdk.v1.WebhookService/DeliverWebhook`,
    requestHeader: headers,
  });
  const request = create(DeliverWebhookRequestSchema, { source, body: { contentType: 'application/json', data: body } });
  return Promise.resolve(service().deliverWebhook(request, context));
}

async function rejection(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error('expected a rejection');
}

beforeEach(() => {
  dispatched = [];
  counted = [];
  logLines = [];
  deliveries = new DeliveryLog();
  routes = { github: [acme, globex], zendesk: [acme] };
  controllerAnswer = (request) => ({
    results: request.targets.map((target) => ({
      target,
      delivered: true,
      httpStatus: 202,
      routedTo: target.name === acme.name ? acme.routedTo : globex.routedTo,
    })),
  });
});

afterEach(() => {
  // Whatever happened, the secret and the signature never reached a log line.
  for (const line of logLines) {
    expect(line).not.toContain(secret);
    expect(line).not.toContain(signPayload(secret, payload).slice(7));
  }
});

describe('deliverWebhook', () => {
  it('dispatches a signed webhook to every target and answers the seed\u2019s fields', async () => {
    const answer = await deliver('github', {
      'x-hub-signature-256': signPayload(secret, payload),
      'x-github-event': 'pull_request',
      'x-github-delivery': 'd-1',
      authorization: 'Bearer nope',
    });
    expect(answer).toEqual({
      webhookId: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown,
      processed: true,
      routedTo: 'customer-acme/ci-book-1-0-0,customer-globex/ci-book-1-0-0',
      processingTimeMs: expect.any(Number) as unknown,
      targets: ['customer-acme/ci-book-1-0-0', 'customer-globex/ci-book-1-0-0'],
    });
    expect(dispatched).toHaveLength(1);
    const [request] = dispatched;
    expect(request).toMatchObject({
      webhookId: (answer as { webhookId: string }).webhookId,
      source: 'github',
      event: 'pull_request',
      contentType: 'application/json',
      headers: { 'x-github-event': 'pull_request', 'x-github-delivery': 'd-1' },
      targets: [
        { namespace: 'bdk', name: acme.name },
        { namespace: 'bdk', name: globex.name },
      ],
    });
    expect(Buffer.from(request?.payload ?? []).equals(payload)).toBe(true);
    expect(Object.keys(request?.headers ?? {})).not.toContain('x-hub-signature-256');
    expect(Object.keys(request?.headers ?? {})).not.toContain('authorization');
    expect(counted).toEqual([['github', 'delivered']]);
  });

  it('prefers X-Webhook-Event for the event name and accepts an unsigned source', async () => {
    await deliver('zendesk', { 'x-webhook-event': 'ticket.created', 'x-github-event': 'push' });
    expect(dispatched[0]?.event).toBe('ticket.created');
    expect(counted).toEqual([['zendesk', 'delivered']]);
  });

  it('rejects a bad signature with Unauthenticated and dispatches nothing', async () => {
    const error = await rejection(deliver('github', { 'x-hub-signature-256': signPayload('wrong', payload) }));
    expect(error.code).toBe(Code.Unauthenticated);
    expect(error.rawMessage).toBe('webhook signature for source "github" could not be verified');
    expect(dispatched).toEqual([]);
    expect(counted).toEqual([['github', 'unauthenticated']]);
    expect(logLines.join('\n')).toContain('"reason":"signature_mismatch"');
  });

  it('rejects a source without a secret like a bad signature, and counts it as unconfigured', async () => {
    const error = await rejection(deliver('stripe', { 'x-hub-signature-256': signPayload('wrong', payload) }));
    expect(error.code).toBe(Code.Unauthenticated);
    expect(error.rawMessage).toBe('webhook signature for source "stripe" could not be verified');
    expect(counted).toEqual([['unconfigured', 'unauthenticated']]);
    expect(logLines.join('\n')).toContain('"reason":"unknown_source"');
  });

  it('rejects a source that is not a DNS label with InvalidArgument naming the field', async () => {
    const error = await rejection(deliver('Git_Hub', {}));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toMatch(/^source: must be a DNS label/);
    expect(counted).toEqual([['invalid', 'invalid']]);
  });

  it('answers processed=false with no targets when no instance receives the source', async () => {
    routes = {};
    const answer = await deliver('github', { 'x-hub-signature-256': signPayload(secret, payload) });
    expect(answer).toMatchObject({ processed: false, routedTo: '', targets: [] });
    expect(dispatched).toEqual([]);
    expect(counted).toEqual([['github', 'unrouted']]);
  });

  it('answers processed=false when one target did not accept the webhook', async () => {
    controllerAnswer = (request) => ({
      results: [
        { target: request.targets[0], delivered: true, httpStatus: 202, routedTo: acme.routedTo },
        { target: request.targets[1], delivered: false, httpStatus: 500, routedTo: globex.routedTo, error: 'book answered 500', retryable: true },
      ],
    });
    const answer = await deliver('github', { 'x-hub-signature-256': signPayload(secret, payload) });
    expect(answer).toMatchObject({ processed: false, routedTo: `${acme.routedTo},${globex.routedTo}` });
    expect(counted).toEqual([['github', 'partial']]);
    expect(logLines.join('\n')).toContain('book answered 500');
  });

  it('answers Unavailable when the controller is unavailable', async () => {
    controllerAnswer = () => {
      throw new ConnectError('connection refused', Code.Unavailable);
    };
    const error = await rejection(deliver('github', { 'x-hub-signature-256': signPayload(secret, payload) }));
    expect(error.code).toBe(Code.Unavailable);
    expect(error.rawMessage).toBe('the book controller is unavailable; try again later');
    expect(counted).toEqual([['github', 'unavailable']]);
  });

  it('answers Internal without the controller\u2019s message when the controller fails otherwise', async () => {
    controllerAnswer = () => {
      throw new ConnectError('targets[0].name: internal detail', Code.InvalidArgument);
    };
    const error = await rejection(deliver('github', { 'x-hub-signature-256': signPayload(secret, payload) }));
    expect(error.code).toBe(Code.Internal);
    expect(error.rawMessage).toBe('routing the webhook failed');
    expect(counted).toEqual([['github', 'error']]);
  });
});

function listContext() {
  return createHandlerContext({
    service: WebhookService,
    method: WebhookService.method.listDeliveries,
    protocolName: 'grpc',
    requestMethod: 'POST',
    url: 'http://router/bdk.v1.WebhookService/ListDeliveries',
  });
}

describe('listDeliveries', () => {
  const signed = { 'x-hub-signature-256': signPayload(secret, payload), 'x-github-event': 'push' };

  async function list(impl: ReturnType<typeof service>, init: Partial<{ source: string; state: string; pageSize: number; pageToken: string }>) {
    return impl.listDeliveries(create(ListDeliveriesRequestSchema, init), listContext());
  }

  it('lists accepted webhooks newest first with their outcome; rejected ones are not recorded', async () => {
    await deliver('github', signed);
    routes = {};
    await deliver('github', signed);
    await rejection(deliver('github', { 'x-hub-signature-256': signPayload('wrong', payload) }));
    const { deliveries: listed } = (await list(service(), {})) as { deliveries: Record<string, unknown>[] };
    expect(listed).toEqual([
      expect.objectContaining({
        source: 'github',
        event: 'push',
        state: 'failed',
        attempts: 1,
        targets: [],
        lastError: 'no book instance receives webhooks from source "github"',
        payloadSize: payload.length,
      }),
      expect.objectContaining({ state: 'delivered', targets: [acme.routedTo, globex.routedTo], lastError: '' }),
    ]);
    expect(listed[0]?.['receivedAt']).toMatchObject({ seconds: expect.any(BigInt) as unknown });
  });

  it('records a controller outage as failed with the reason', async () => {
    controllerAnswer = () => {
      throw new ConnectError('connection refused', Code.Unavailable);
    };
    await rejection(deliver('github', signed));
    const { deliveries: listed } = (await list(service(), { state: 'failed' })) as { deliveries: Record<string, unknown>[] };
    expect(listed).toEqual([expect.objectContaining({ lastError: 'book controller unavailable: connection refused' })]);
  });

  it.each([
    [{ source: 'Git_Hub' }, 'source: must be a DNS label'],
    [{ state: 'lost' }, 'state: must be one of pending, delivered, failed, dead_lettered'],
    [{ pageSize: 501 }, 'page_size: must be from 1 to 500, or 0 for 50'],
    [{ pageSize: -1 }, 'page_size: must be from 1 to 500, or 0 for 50'],
    [{ pageToken: 'garbage' }, 'page_token: not a token from a previous page'],
  ])('rejects %o with InvalidArgument naming the field', async (init, message) => {
    const error = await rejection(Promise.resolve().then(() => list(service(), init)));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain(message);
  });
});

describe('replayDelivery', () => {
  it('answers Unimplemented until payloads are stored', async () => {
    const impl = service();
    const error = await rejection(Promise.resolve().then(() => impl.replayDelivery(create(ReplayDeliveryRequestSchema, { webhookId: 'w-1' }), listContext())));
    expect(error.code).toBe(Code.Unimplemented);
  });
});
