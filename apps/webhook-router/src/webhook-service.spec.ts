import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, createClient, createRouterTransport } from '@connectrpc/connect';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { AuthenticationError, authInterceptor, permissions, type Principal, type TokenVerifier } from '@bdk/auth';
import {
  BadRequestSchema,
  BookControllerService,
  ErrorInfoSchema,
  IntegrationConfigSchema,
  WebhookService,
  WebhookSubscriberSchema,
  type DispatchTriggerRequest,
  type ListWebhookSubscribersRequest,
  type WebhookSubscriber,
} from '@bdk/proto';
import { openSqliteDeliveryStore, type DeliveryStore } from '@bdk/delivery-store';
import { createLogger } from '@bdk/service-runtime';
import { generateSigningSecret, signPayload, type SignatureScheme } from '@bdk/webhooks';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createDispatcher, type Dispatcher } from './delivery/dispatcher.js';
import type { PayloadContract } from './intake/payload-contract.js';
import { createSubscriberCache } from './intake/subscriber-cache.js';
import { TokenBuckets, type BucketLimit } from './intake/token-buckets.js';
import type { WebhookOutcome } from './intake/webhook-metrics.js';
import { unauthenticatedMessage } from './intake/webhook-intake.js';
import { routerMethodPermissions } from './method-permissions.js';
import { webhookService } from './webhook-service.js';

const payload = Buffer.from('{"ticket":{"id":"12345","subject":"Login issue"}}');
const acmeSecret = generateSigningSecret();
const globexSecret = generateSigningSecret();
const instanceIds = {
  acme: '0b7c1d5e-8a8e-4f43-9d5c-3f7b1c2a9e10',
  globex: '6f1e2d3c-4b5a-4968-8776-655443322110',
};

function subscriber(org: 'acme' | 'globex', secrets: string[], scheme: SignatureScheme = 'zendesk'): WebhookSubscriber {
  return create(WebhookSubscriberSchema, {
    target: { namespace: 'bdk', name: `customer-${org}-support-${instanceIds[org].slice(0, 8)}` },
    instanceId: instanceIds[org],
    organizationId: `org-${org}`,
    routedTo: `customer-${org}/support-1-0-0`,
    scheme,
    secrets,
  });
}

let clock: number;
let subscribersBySource: Record<string, WebhookSubscriber[]>;
let listCalls: ListWebhookSubscribersRequest[];
let listAnswer: (request: ListWebhookSubscribersRequest) => WebhookSubscriber[];
let dispatched: DispatchTriggerRequest[];
let dispatchAnswer: (request: DispatchTriggerRequest) => unknown;
let counted: [string, WebhookOutcome][];
let logLines: string[];
let directory: string;
let store: DeliveryStore;
let dispatcher: Dispatcher;
let limits: { source: BucketLimit; organization: BucketLimit; maxPending: number; depth: number };
let firstAttemptBudgetMs: number;
/** What each instance's book accepts, by instance id; none: anything. */
let contracts: Record<string, PayloadContract>;
/** Every store and dispatcher a test made (a test that changes the limits makes a second router). */
const opened: { store: DeliveryStore; dispatcher: Dispatcher }[] = [];

const principals: Record<string, Principal> = {
  'acme-reader': { subject: 'alice', issuer: 'https://idp', organizationId: 'org-acme', permissions: new Set([permissions.deliveriesRead]) },
  'globex-reader': { subject: 'bob', issuer: 'https://idp', organizationId: 'org-globex', permissions: new Set([permissions.deliveriesRead]) },
  'acme-replayer': { subject: 'carol', issuer: 'https://idp', organizationId: 'org-acme', permissions: new Set([permissions.deliveriesReplay]) },
  'acme-books': { subject: 'dave', issuer: 'https://idp', organizationId: 'org-acme', permissions: new Set([permissions.booksRead]) },
  'no-org-reader': { subject: 'root', issuer: 'https://idp', organizationId: undefined, permissions: new Set([permissions.deliveriesRead]) },
};
// The interceptor is the real one; only the JWT check is stood in for (the integration tests verify real tokens).
const verifier: TokenVerifier = {
  verify: async (token) => {
    const principal = principals[token];
    if (!principal) throw new AuthenticationError('bad_signature', 'not a test token');
    return principal;
  },
};

function router() {
  const controller = createClient(
    BookControllerService,
    createRouterTransport((r) =>
      r.service(BookControllerService, {
        listWebhookSubscribers(request) {
          listCalls.push(request);
          return { subscribers: listAnswer(request) };
        },
        async dispatchTriggers({ triggers }) {
          const responses: never[] = [];
          for (const request of triggers) {
            dispatched.push(request);
            responses.push(await (dispatchAnswer(request) as never));
          }
          return { responses };
        },
      }),
    ),
  );
  const logger = createLogger('test', { write: (line) => logLines.push(line) });
  // The real store on a temp file and the real dispatcher; a retry schedule of milliseconds.
  store = openSqliteDeliveryStore({ path: path.join(directory, 'deliveries.sqlite') });
  dispatcher = createDispatcher({
    store,
    controller,
    policy: { delaysMs: [50, 50], jitter: 0 },
    attemptTimeoutMs: 1_000,
    leaseMs: 2_000,
    concurrency: 8,
    pollMs: 20,
    logger,
    metrics: { attempted: () => undefined, queue: () => undefined },
  });
  opened.push({ store, dispatcher });
  const impl = webhookService({
    subscribers: createSubscriberCache({
      load: async (key) => (await controller.listWebhookSubscribers(key)).subscribers,
      ttlMs: 5_000,
      now: () => clock,
    }),
    store,
    dispatcher,
    concurrency: 8,
    firstAttemptBudgetMs,
    leaseMs: 2_000,
    idempotencyWindowMs: 3_600_000,
    limits: {
      perSource: new TokenBuckets(limits.source),
      perOrganization: new TokenBuckets(limits.organization),
      maxPending: limits.maxPending,
      queueDepth: () => limits.depth,
      noteAccepted: () => undefined,
    },
    onReplayed: () => dispatcher.nudge(),
    timestampToleranceSeconds: 300,
    logger,
    metrics: { count: (source, outcome) => counted.push([source, outcome]) },
    payloadContract: (verified) => contracts[verified.instanceId] ?? verified.contract,
    now: () => new Date(clock),
  });
  return createClient(
    WebhookService,
    createRouterTransport((r) => r.service(WebhookService, impl), {
      router: { interceptors: [authInterceptor({ verifier, methods: routerMethodPermissions, logger })] },
    }),
  );
}

let client: ReturnType<typeof router>;

function deliver(source: string, headers: Record<string, string>, options: { instanceId?: string; body?: Uint8Array } = {}) {
  return client.deliverWebhook(
    { source, instanceId: options.instanceId ?? '', body: { contentType: 'application/json', data: options.body ?? payload } },
    { headers },
  );
}

const sign = (secret: string, scheme: SignatureScheme = 'zendesk', body: Uint8Array = payload) =>
  signPayload({ scheme, payload: body, secret, timestamp: new Date(clock) });

async function rejection(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error('expected a rejection');
}

beforeEach(() => {
  clock = Date.parse('2026-03-01T12:00:00Z');
  subscribersBySource = { zendesk: [subscriber('acme', [acmeSecret]), subscriber('globex', [globexSecret])] };
  listCalls = [];
  listAnswer = ({ source, instanceId }) => (subscribersBySource[source] ?? []).filter((s) => instanceId === '' || s.instanceId === instanceId);
  dispatched = [];
  dispatchAnswer = (request) => ({
    results: request.targets.map((target) => ({
      target,
      delivered: true,
      httpStatus: 202,
      routedTo: target.name.startsWith('customer-acme') ? 'customer-acme/support-1-0-0' : 'customer-globex/support-1-0-0',
    })),
  });
  counted = [];
  logLines = [];
  directory = mkdtempSync(path.join(tmpdir(), 'bdk-webhook-service-'));
  limits = { source: { ratePerSecond: 0, burst: 1 }, organization: { ratePerSecond: 0, burst: 1 }, maxPending: 1_000, depth: 0 };
  firstAttemptBudgetMs = 1_000;
  contracts = {};
  client = router();
});

afterEach(async () => {
  for (const each of opened.splice(0)) {
    await each.dispatcher.stop();
    await each.store.close();
  }
  rmSync(directory, { recursive: true, force: true });
  // Whatever happened, no secret and no signature reached a log line.
  const output = logLines.join('\n');
  for (const secret of [acmeSecret, globexSecret]) {
    expect(output).not.toContain(secret);
    for (const value of Object.values(sign(secret))) if (value.length > 20) expect(output).not.toContain(value);
  }
});

describe('deliverWebhook', () => {
  it('delivers a webhook signed with one organisation\u2019s instance secret to that instance only', async () => {
    const answer = await deliver('zendesk', { ...sign(acmeSecret), 'x-webhook-event': 'ticket.created', authorization: 'Bearer nope' });
    expect(answer).toMatchObject({
      webhookId: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown,
      processed: true,
      routedTo: 'customer-acme/support-1-0-0',
      targets: ['customer-acme/support-1-0-0'],
    });
    expect(answer.challenge).toBeUndefined();
    expect(dispatched).toHaveLength(1);
    const [request] = dispatched;
    expect(request).toMatchObject({
      webhookId: answer.webhookId,
      source: 'zendesk',
      event: 'ticket.created',
      contentType: 'application/json',
      targets: [{ namespace: 'bdk', name: subscriber('acme', []).target?.name }],
    });
    expect(request?.targets).toHaveLength(1);
    expect(Buffer.from(request?.payload ?? []).equals(payload)).toBe(true);
    for (const name of [...Object.keys(sign(acmeSecret)), 'authorization']) expect(Object.keys(request?.headers ?? {})).not.toContain(name);
    expect(counted).toEqual([['zendesk', 'accepted']]);
    expect(listCalls).toEqual([expect.objectContaining({ source: 'zendesk', instanceId: '' })]);

    const other = await deliver('zendesk', sign(globexSecret));
    expect(other).toMatchObject({ routedTo: 'customer-globex/support-1-0-0', targets: ['customer-globex/support-1-0-0'] });
    expect(dispatched[1]?.targets.map((t) => t.name)).toEqual([subscriber('globex', []).target?.name]);
    // The second webhook came from the cache.
    expect(listCalls).toHaveLength(1);
  });

  it('never names an instance the signature did not verify for, even when the controller does', async () => {
    dispatchAnswer = (request) => ({
      results: [
        { target: { namespace: 'bdk', name: subscriber('globex', []).target?.name }, delivered: true, routedTo: 'customer-globex/support-1-0-0' },
        { target: request.targets[0], delivered: true, httpStatus: 202, routedTo: 'customer-acme/support-1-0-0' },
      ],
    });
    const answer = await deliver('zendesk', sign(acmeSecret));
    expect(answer.targets).toEqual(['customer-acme/support-1-0-0']);
    expect(answer.routedTo).toBe('customer-acme/support-1-0-0');
  });

  it('answers one Unauthenticated message to a signature of neither instance, and dispatches nothing', async () => {
    const error = await rejection(deliver('zendesk', sign(generateSigningSecret())));
    expect(error.code).toBe(Code.Unauthenticated);
    expect(error.rawMessage).toBe(unauthenticatedMessage);
    expect(dispatched).toEqual([]);
    expect(counted).toEqual([['zendesk', 'unauthenticated']]);
    expect(logLines.join('\n')).toMatch(/"msg":"webhook rejected".*"reason":"not_verified".*"failures":\["signature_mismatch:2"\]/);
  });

  it('answers an unknown source, a missing signature and a stale one exactly alike, with the reason only in the log', async () => {
    const answers = [
      await rejection(deliver('stripe', sign(acmeSecret, 'stripe'))),
      await rejection(deliver('zendesk', {})),
      await rejection(deliver('zendesk', signPayload({ scheme: 'zendesk', payload, secret: acmeSecret, timestamp: new Date(clock - 6 * 60_000) }))),
    ];
    expect(answers.map((error) => [error.code, error.rawMessage])).toEqual(Array(3).fill([Code.Unauthenticated, unauthenticatedMessage]));
    expect(dispatched).toEqual([]);
    // Sources without a subscriber are one label value.
    expect(counted).toEqual([
      ['unknown', 'unauthenticated'],
      ['zendesk', 'unauthenticated'],
      ['zendesk', 'unauthenticated'],
    ]);
    const log = logLines.join('\n');
    expect(log).toContain('"reason":"no_subscribers"');
    expect(log).toContain('"failures":["missing_signature:2"]');
    expect(log).toContain('"failures":["stale_timestamp:1","signature_mismatch:1"]');
  });

  it('rejects a source that is not a DNS label and an instance id that is not a UUID, naming the field', async () => {
    const source = await rejection(deliver('Zen_Desk', sign(acmeSecret)));
    expect([source.code, source.rawMessage]).toEqual([Code.InvalidArgument, expect.stringMatching(/^source: must be a DNS label/)]);
    const instance = await rejection(deliver('zendesk', sign(acmeSecret), { instanceId: 'customer-acme' }));
    expect([instance.code, instance.rawMessage]).toEqual([Code.InvalidArgument, 'instance_id: must be a UUID (8-4-4-4-12 hexadecimal digits)']);
    expect(counted).toEqual([
      ['invalid', 'invalid'],
      ['invalid', 'invalid'],
    ]);
    expect(listCalls).toEqual([]);
  });

  it('on the instance-addressed route asks for and verifies only the addressed instance', async () => {
    const answer = await deliver('zendesk', sign(acmeSecret), { instanceId: instanceIds.acme.toUpperCase() });
    expect(answer.targets).toEqual(['customer-acme/support-1-0-0']);
    expect(listCalls).toEqual([expect.objectContaining({ source: 'zendesk', instanceId: instanceIds.acme })]);
    // Acme's signature posted to Globex's URL verifies for nobody.
    const error = await rejection(deliver('zendesk', sign(acmeSecret), { instanceId: instanceIds.globex }));
    expect(error.rawMessage).toBe(unauthenticatedMessage);
    expect(dispatched).toHaveLength(1);
  });

  it('refetches once after a miss, so a freshly rotated secret works at once', async () => {
    await deliver('zendesk', sign(acmeSecret));
    const rotated = generateSigningSecret();
    subscribersBySource['zendesk'] = [subscriber('acme', [rotated, acmeSecret]), subscriber('globex', [globexSecret])];
    clock += 1_500;
    const answer = await deliver('zendesk', sign(rotated));
    expect(answer.targets).toEqual(['customer-acme/support-1-0-0']);
    expect(listCalls).toHaveLength(2);
    // Inside the rotation window the old secret still verifies, from the cache.
    expect((await deliver('zendesk', sign(acmeSecret))).targets).toEqual(['customer-acme/support-1-0-0']);
    // A flood of bad signatures within the second asks the controller no more.
    for (let i = 0; i < 5; i++) await rejection(deliver('zendesk', sign(generateSigningSecret())));
    expect(listCalls).toHaveLength(2);
    clock += 1_000;
    await rejection(deliver('zendesk', sign(generateSigningSecret())));
    expect(listCalls).toHaveLength(3);
  });

  it('does not refetch for a request that no newer secret could verify', async () => {
    await rejection(deliver('zendesk', {}));
    clock += 2_000;
    await rejection(deliver('zendesk', {}));
    expect(listCalls).toHaveLength(1);
  });

  it('shares one controller call among concurrent webhooks of a source', async () => {
    const answers = await Promise.all([acmeSecret, globexSecret, acmeSecret, globexSecret].map((secret) => deliver('zendesk', sign(secret))));
    expect(answers.map((a) => a.routedTo)).toEqual([
      'customer-acme/support-1-0-0',
      'customer-globex/support-1-0-0',
      'customer-acme/support-1-0-0',
      'customer-globex/support-1-0-0',
    ]);
    expect(listCalls).toHaveLength(1);
  });

  it('delivers to no one when one signature verifies for two organisations, and logs an error', async () => {
    subscribersBySource['zendesk'] = [subscriber('acme', [acmeSecret]), subscriber('globex', [acmeSecret])];
    const error = await rejection(deliver('zendesk', sign(acmeSecret)));
    expect([error.code, error.rawMessage]).toEqual([Code.Unauthenticated, unauthenticatedMessage]);
    expect(dispatched).toEqual([]);
    expect(counted).toEqual([['zendesk', 'ambiguous']]);
    const line = JSON.parse(logLines.find((l) => l.includes('several organisations')) ?? '{}') as Record<string, unknown>;
    expect(line).toMatchObject({ level: 'error', reason: 'several_organizations', instances: [instanceIds.acme, instanceIds.globex] });
  });

  it('answers Slack\u2019s url_verification with the challenge and dispatches nothing', async () => {
    const slackSecret = generateSigningSecret();
    subscribersBySource['slack'] = [subscriber('acme', [slackSecret], 'slack')];
    const handshake = Buffer.from(JSON.stringify({ token: 'legacy', challenge: 'c-123', type: 'url_verification' }));
    const answer = await deliver('slack', sign(slackSecret, 'slack', handshake), { body: handshake });
    expect(answer).toMatchObject({ processed: true, challenge: 'c-123', targets: [], routedTo: '' });
    expect(dispatched).toEqual([]);
    expect(counted).toEqual([['slack', 'url_verification']]);
    // Unsigned, the handshake is refused like anything else.
    const error = await rejection(deliver('slack', {}, { body: handshake }));
    expect(error.code).toBe(Code.Unauthenticated);
    // An event is dispatched as usual.
    const event = Buffer.from(JSON.stringify({ type: 'event_callback', event: { type: 'app_mention' } }));
    const dispatchedEvent = await deliver('slack', sign(slackSecret, 'slack', event), { body: event });
    expect(dispatchedEvent).toMatchObject({ targets: ['customer-acme/support-1-0-0'] });
    expect(dispatchedEvent.challenge).toBeUndefined();
  });

  it('answers processed=false when the book did not take it, and retries it until it does', async () => {
    let answers = 0;
    dispatchAnswer = (request) => ({
      results: [
        answers++ < 2
          ? { target: request.targets[0], delivered: false, httpStatus: 503, routedTo: 'customer-acme/support-1-0-0', error: 'book answered HTTP 503', retryable: true }
          : { target: request.targets[0], delivered: true, httpStatus: 200, routedTo: 'customer-acme/support-1-0-0' },
      ],
    });
    dispatcher.start();
    const answer = await deliver('zendesk', sign(acmeSecret));
    expect(answer).toMatchObject({ processed: false, routedTo: 'customer-acme/support-1-0-0' });
    expect(counted).toEqual([['zendesk', 'accepted']]);
    await waitForState(answer.webhookId, 'org-acme', 'delivered');
    // The same webhook id, the next attempt number, every time.
    expect(dispatched.map((d) => [d.webhookId, d.attempt])).toEqual([
      [answer.webhookId, 1],
      [answer.webhookId, 2],
      [answer.webhookId, 3],
    ]);
    const delivery = await store.get('org-acme', answer.webhookId);
    expect(delivery?.attemptLog.map((a) => a.httpStatus)).toEqual([503, 503, 200]);
  });

  it('dead-letters at once what the book refuses for good', async () => {
    dispatchAnswer = (request) => ({
      results: [{ target: request.targets[0], delivered: false, httpStatus: 422, routedTo: 'customer-acme/support-1-0-0', error: 'book answered HTTP 422', retryable: false }],
    });
    const answer = await deliver('zendesk', sign(acmeSecret));
    expect(answer.processed).toBe(false);
    expect(await store.get('org-acme', answer.webhookId)).toMatchObject({ state: 'dead_lettered', attempts: 1, lastError: 'book answered HTTP 422' });
  });

  it('answers within the budget when the book is slow, and records the attempt when it ends', async () => {
    firstAttemptBudgetMs = 50;
    client = router();
    dispatchAnswer = async (request: DispatchTriggerRequest) => {
      await sleep(300);
      return { results: [{ target: request.targets[0], delivered: true, httpStatus: 200, routedTo: 'customer-acme/support-1-0-0' }] };
    };
    const started = Date.now();
    const answer = await deliver('zendesk', sign(acmeSecret));
    expect(Date.now() - started).toBeLessThan(250);
    expect(answer.processed).toBe(false);
    await waitForState(answer.webhookId, 'org-acme', 'delivered');
    expect(dispatched).toHaveLength(1);
  });

  it('answers a sender’s retry of the same delivery id with the original webhook id, and delivers it once', async () => {
    const headers = { ...sign(acmeSecret), 'x-webhook-delivery': 'zd-delivery-42' };
    const first = await deliver('zendesk', headers);
    const retry = await deliver('zendesk', headers);
    expect(retry).toMatchObject({ webhookId: first.webhookId, duplicate: true, processed: true, routedTo: 'customer-acme/support-1-0-0' });
    expect(first.duplicate).toBeUndefined();
    expect(dispatched).toHaveLength(1);
    expect(counted).toEqual([
      ['zendesk', 'accepted'],
      ['zendesk', 'duplicate'],
    ]);
  });

  it('answers ResourceExhausted with Retry-After over a source’s or an organisation’s rate limit', async () => {
    limits.source = { ratePerSecond: 1, burst: 2 };
    client = router();
    await deliver('zendesk', sign(acmeSecret));
    await deliver('zendesk', sign(globexSecret));
    let retryAfter: string | null = null;
    const limited = await rejection(
      client.deliverWebhook(
        { source: 'zendesk', instanceId: '', body: { contentType: 'application/json', data: payload } },
        { headers: sign(acmeSecret), onHeader: (h) => (retryAfter = h.get('retry-after')) },
      ),
    );
    expect([limited.code, limited.rawMessage]).toEqual([Code.ResourceExhausted, 'source "zendesk" is over its webhook rate limit; retry after 1 s']);
    expect(retryAfter ?? limited.metadata.get('retry-after')).toBe('1');

    limits.source = { ratePerSecond: 0, burst: 1 };
    limits.organization = { ratePerSecond: 1, burst: 1 };
    client = router();
    await deliver('zendesk', sign(acmeSecret));
    const acme = await rejection(deliver('zendesk', sign(acmeSecret)));
    expect([acme.code, acme.rawMessage]).toEqual([Code.ResourceExhausted, 'the organisation is over its webhook rate limit; retry after 1 s']);
    // Another organisation on the same source is not held back.
    expect((await deliver('zendesk', sign(globexSecret))).processed).toBe(true);
  });

  it('answers Unavailable with Retry-After when the queue is full, and records nothing', async () => {
    limits.maxPending = 10;
    limits.depth = 10;
    client = router();
    const full = await rejection(deliver('zendesk', sign(acmeSecret)));
    expect([full.code, full.rawMessage]).toEqual([Code.Unavailable, 'the delivery queue is full; try again later']);
    expect(full.metadata.get('retry-after')).toBe('30');
    expect(dispatched).toEqual([]);
    expect((await store.stats()).pending).toBe(0);
  });

  it('answers Unavailable when the controller cannot list subscribers, and Internal for other failures', async () => {
    listAnswer = () => {
      throw new ConnectError('connection refused', Code.Unavailable);
    };
    const listing = await rejection(deliver('zendesk', sign(acmeSecret)));
    expect([listing.code, listing.rawMessage]).toEqual([Code.Unavailable, 'the book controller is unavailable; try again later']);

    listAnswer = () => {
      throw new ConnectError('internal detail', Code.InvalidArgument);
    };
    const failing = await rejection(deliver('github', sign(acmeSecret, 'github')));
    expect([failing.code, failing.rawMessage]).toEqual([Code.Internal, 'routing the webhook failed']);
    expect(counted).toEqual([
      ['unknown', 'unavailable'],
      ['unknown', 'error'],
    ]);
  });

  it('accepts the webhook when the controller cannot dispatch, and retries it', async () => {
    let down = true;
    dispatchAnswer = (request) => {
      if (down) throw new ConnectError('connection refused', Code.Unavailable);
      return { results: [{ target: request.targets[0], delivered: true, httpStatus: 200, routedTo: 'customer-acme/support-1-0-0' }] };
    };
    dispatcher.start();
    const answer = await deliver('zendesk', sign(acmeSecret));
    expect(answer.processed).toBe(false);
    expect(await store.get('org-acme', answer.webhookId)).toMatchObject({ state: 'failed', lastError: 'book controller unavailable: connection refused' });
    down = false;
    await waitForState(answer.webhookId, 'org-acme', 'delivered');
  });
});

describe('deliverWebhook with payload contracts', () => {
  const ticketContract: PayloadContract = {
    book: 'support-1-0-0',
    schema: {
      type: 'object',
      required: ['ticket'],
      properties: { ticket: { type: 'object', required: ['priority'], properties: { id: { type: 'string' }, priority: { enum: ['low', 'high'] } } } },
    },
    inputs: [{ name: 'customer_id', pointer: '/ticket/customer_id', type: 'string', required: true, enum: [] }],
  };
  const signed = (body: Buffer) => sign(acmeSecret, 'zendesk', body);

  it('answers 422 with every violation to a payload the book does not accept, and records and dispatches nothing', async () => {
    contracts[instanceIds.acme] = ticketContract;
    const body = Buffer.from('{"ticket":{"id":12345,"customer_id":"customer-789"}}');
    const error = await rejection(deliver('zendesk', signed(body), { body }));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toBe(
      "the payload does not match what the book accepts from this source: /ticket/priority must have required property 'priority'; /ticket/id must be string",
    );
    // gRPC has no 422: the sidecar makes it the HTTP status from this header.
    expect(error.metadata.get('x-bdk-http-status')).toBe('422');
    expect(error.findDetails(BadRequestSchema)[0]?.fieldViolations.map(({ field, description }) => ({ field, description }))).toEqual([
      { field: '/ticket/priority', description: "must have required property 'priority'" },
      { field: '/ticket/id', description: 'must be string' },
    ]);
    expect(error.findDetails(ErrorInfoSchema)[0]).toMatchObject({
      reason: 'PAYLOAD_SCHEMA_VIOLATION',
      domain: 'bdk.voyager.io',
      metadata: { source: 'zendesk', book: 'support-1-0-0' },
    });
    expect(counted).toEqual([['zendesk', 'invalid_payload']]);
    expect(dispatched).toEqual([]);
    expect((await store.stats()).pending).toBe(0);
    expect((await store.list({ organizationId: 'org-acme' }, { pageSize: 10 })).deliveries).toEqual([]);
    const refusal = logLines.find((line) => line.includes('payload refused'));
    expect(refusal).toContain('"book":"support-1-0-0"');
    expect(refusal).toContain("/ticket/id must be string");
    // The payload's values are the sender's data: the log names where the payload fails, not what it holds.
    expect(logLines.join('\n')).not.toContain('customer-789');
  });

  it('delivers a payload that meets the contract as any other', async () => {
    contracts[instanceIds.acme] = ticketContract;
    const body = Buffer.from('{"ticket":{"id":"12345","priority":"high","customer_id":"customer-789"}}');
    const answer = await deliver('zendesk', signed(body), { body });
    expect(answer).toMatchObject({ processed: true, targets: ['customer-acme/support-1-0-0'], refusedTargets: [] });
    expect(Buffer.from(dispatched[0]?.payload ?? []).equals(body)).toBe(true);
    expect(counted).toEqual([['zendesk', 'accepted']]);
  });

  it('delivers to the books whose contract the payload meets, and names the others in refused_targets', async () => {
    // A second acme instance whose secret verifies the same signature, of a book that wants a priority.
    const strict = create(WebhookSubscriberSchema, {
      target: { namespace: 'bdk', name: 'customer-acme-strict-support-5e0d' },
      instanceId: '5e0d1c2b-3a49-4857-a6b5-c4d3e2f1a0b9',
      organizationId: 'org-acme',
      routedTo: 'customer-acme/strict-support-1-0-0',
      scheme: 'zendesk',
      secrets: [acmeSecret],
    });
    subscribersBySource['zendesk']?.push(strict);
    contracts[strict.instanceId] = { ...ticketContract, book: 'strict-support-1-0-0' };
    const answer = await deliver('zendesk', sign(acmeSecret));
    expect(answer).toMatchObject({
      processed: true,
      routedTo: 'customer-acme/support-1-0-0',
      targets: ['customer-acme/support-1-0-0'],
      refusedTargets: ['customer-acme/strict-support-1-0-0'],
    });
    expect(dispatched.flatMap((request) => request.targets.map((t) => t.name))).toEqual([subscriber('acme', []).target?.name]);
    expect((await store.get('org-acme', answer.webhookId))?.targets.map((t) => t.routedTo)).toEqual(['customer-acme/support-1-0-0']);
    expect(counted).toEqual([['zendesk', 'accepted']]);

    // Refused by both books: 422, with each violation once.
    contracts[instanceIds.acme] = ticketContract;
    const error = await rejection(deliver('zendesk', sign(acmeSecret)));
    expect(error.metadata.get('x-bdk-http-status')).toBe('422');
    expect(error.rawMessage.match(/must have required property 'priority'/g)).toHaveLength(1);
  });

  it('checks the contract the controller sends with each subscriber', async () => {
    const [acme] = subscribersBySource['zendesk'] ?? [];
    if (!acme) throw new Error('no acme subscriber');
    acme.book = 'support-1-0-0';
    acme.payloadContract = create(IntegrationConfigSchema, { payloadSchema: { type: 'object', required: ['ticket', 'via'] } });
    const error = await rejection(deliver('zendesk', sign(acmeSecret)));
    expect(error.findDetails(BadRequestSchema)[0]?.fieldViolations.map((v) => v.field)).toEqual(['/via']);
    expect(error.findDetails(ErrorInfoSchema)[0]?.metadata).toEqual({ source: 'zendesk', book: 'support-1-0-0' });
    expect(dispatched).toEqual([]);
  });

  it('answers Internal and records nothing when the book\u2019s schema cannot be compiled', async () => {
    contracts[instanceIds.acme] = { book: 'support-1-0-0', schema: { type: 'strnig' }, inputs: [] };
    const error = await rejection(deliver('zendesk', sign(acmeSecret)));
    expect([error.code, error.rawMessage]).toEqual([Code.Internal, 'checking the payload failed']);
    expect(error.metadata.get('x-bdk-http-status')).toBeNull();
    expect(counted).toEqual([['zendesk', 'error']]);
    expect((await store.stats()).pending).toBe(0);
    expect(logLines.join('\n')).toMatch(/"level":"error".*payload schema cannot be compiled.*"book":"support-1-0-0"/);
  });
});

async function waitForState(webhookId: string, organizationId: string, state: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    if ((await store.get(organizationId, webhookId))?.state === state) return;
    await sleep(20);
  }
  throw new Error(`${webhookId} did not become ${state}: ${JSON.stringify(await store.get(organizationId, webhookId))}`);
}

describe('listDeliveries', () => {
  const asCaller = (token?: string) => (token ? { headers: { authorization: `Bearer ${token}` } } : {});

  it('needs a bearer token with deliveries:read and an organisation', async () => {
    expect((await rejection(client.listDeliveries({}))).code).toBe(Code.Unauthenticated);
    expect((await rejection(client.listDeliveries({}, asCaller('forged')))).code).toBe(Code.Unauthenticated);
    expect((await rejection(client.listDeliveries({}, asCaller('acme-books')))).code).toBe(Code.PermissionDenied);
    const noOrg = await rejection(client.listDeliveries({}, asCaller('no-org-reader')));
    expect([noOrg.code, noOrg.rawMessage]).toEqual([Code.PermissionDenied, 'the token carries no organisation (claim "org_id")']);
  });

  it('lists only the caller\u2019s organisation\u2019s deliveries, newest first', async () => {
    await deliver('zendesk', { ...sign(acmeSecret), 'x-webhook-event': 'ticket.created' });
    await deliver('zendesk', sign(globexSecret));
    await deliver('zendesk', { ...sign(acmeSecret), 'x-webhook-event': 'ticket.updated' });
    await rejection(deliver('zendesk', sign(generateSigningSecret())));
    const acme = await client.listDeliveries({}, asCaller('acme-reader'));
    expect(acme.deliveries.map((d) => [d.event, d.organizationId, d.targets, d.state])).toEqual([
      ['ticket.updated', 'org-acme', ['customer-acme/support-1-0-0'], 'delivered'],
      ['ticket.created', 'org-acme', ['customer-acme/support-1-0-0'], 'delivered'],
    ]);
    expect(acme.deliveries[0]?.receivedAt?.seconds).toEqual(expect.any(BigInt));
    const globex = await client.listDeliveries({}, asCaller('globex-reader'));
    expect(globex.deliveries.map((d) => [d.organizationId, d.targets])).toEqual([['org-globex', ['customer-globex/support-1-0-0']]]);
  });

  it.each([
    [{ source: 'Zen_Desk' }, 'source: must be a DNS label'],
    [{ state: 'lost' }, 'state: must be one of pending, delivered, failed, dead_lettered'],
    [{ pageSize: 501 }, 'page_size: must be from 1 to 500, or 0 for 50'],
    [{ pageSize: -1 }, 'page_size: must be from 1 to 500, or 0 for 50'],
    [{ pageToken: 'garbage' }, 'page_token: not a token from a previous page'],
  ])('rejects %o with InvalidArgument naming the field', async (init, message) => {
    const error = await rejection(client.listDeliveries(init, asCaller('acme-reader')));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain(message);
  });
});

describe('getDelivery', () => {
  it('shows the caller’s organisation every target and attempt of its delivery, and another organisation nothing', async () => {
    const answer = await deliver('zendesk', { ...sign(acmeSecret), 'x-webhook-event': 'ticket.created' });
    const { delivery } = await client.getDelivery({ webhookId: answer.webhookId }, { headers: { authorization: 'Bearer acme-reader' } });
    expect(delivery).toMatchObject({
      webhookId: answer.webhookId,
      state: 'delivered',
      attempts: 1,
      contentType: 'application/json',
      targetStates: [{ instanceId: instanceIds.acme, routedTo: 'customer-acme/support-1-0-0', state: 'delivered', attempts: 1 }],
      attemptLog: [{ instanceId: instanceIds.acme, routedTo: 'customer-acme/support-1-0-0', httpStatus: 202, error: '' }],
    });
    const other = await rejection(client.getDelivery({ webhookId: answer.webhookId }, { headers: { authorization: 'Bearer globex-reader' } }));
    expect([other.code, other.rawMessage]).toEqual([Code.NotFound, `delivery ${answer.webhookId} not found`]);
    const bad = await rejection(client.getDelivery({ webhookId: 'w-1' }, { headers: { authorization: 'Bearer acme-reader' } }));
    expect([bad.code, bad.rawMessage]).toEqual([Code.InvalidArgument, 'webhook_id: must be a webhook id (a UUID) as DeliverWebhook answered it']);
  });
});

describe('replayDelivery and replayDeliveries', () => {
  const replayer = { headers: { authorization: 'Bearer acme-replayer' } };

  it('need a bearer token with deliveries:replay', async () => {
    const request = { webhookId: '0190f7a2-0000-7000-8000-000000000000' };
    expect((await rejection(client.replayDelivery(request))).code).toBe(Code.Unauthenticated);
    expect((await rejection(client.replayDelivery(request, { headers: { authorization: 'Bearer acme-reader' } }))).code).toBe(Code.PermissionDenied);
    expect((await rejection(client.replayDeliveries({}, { headers: { authorization: 'Bearer acme-reader' } }))).code).toBe(Code.PermissionDenied);
  });

  it('send a dead-lettered delivery again, once the book is fixed, one by id or all by filter', async () => {
    let fixed = false;
    dispatchAnswer = (request) => ({
      results: [
        fixed
          ? { target: request.targets[0], delivered: true, httpStatus: 200, routedTo: 'customer-acme/support-1-0-0' }
          : { target: request.targets[0], delivered: false, httpStatus: 404, routedTo: 'customer-acme/support-1-0-0', error: 'book answered HTTP 404', retryable: false },
      ],
    });
    dispatcher.start();
    const one = await deliver('zendesk', sign(acmeSecret));
    const two = await deliver('zendesk', sign(acmeSecret));
    const three = await deliver('zendesk', sign(acmeSecret));
    for (const { webhookId } of [one, two, three]) await waitForState(webhookId, 'org-acme', 'dead_lettered');

    fixed = true;
    const { delivery } = await client.replayDelivery({ webhookId: one.webhookId }, replayer);
    expect(delivery?.state).toBe('pending');
    await waitForState(one.webhookId, 'org-acme', 'delivered');

    const bulk = await client.replayDeliveries({ source: 'zendesk' }, replayer);
    expect(bulk.webhookIds).toEqual([two.webhookId, three.webhookId]);
    await waitForState(two.webhookId, 'org-acme', 'delivered');
    await waitForState(three.webhookId, 'org-acme', 'delivered');
    expect(await client.replayDeliveries({ source: 'zendesk' }, replayer)).toMatchObject({ webhookIds: [] });
    expect(dispatched.filter((d) => d.webhookId === three.webhookId).map((d) => d.attempt)).toEqual([1, 2]);
  });

  it('refuse a delivery still being retried, and another organisation’s', async () => {
    dispatchAnswer = (request) => ({
      results: [{ target: request.targets[0], delivered: false, httpStatus: 503, routedTo: 'customer-acme/support-1-0-0', error: 'book answered HTTP 503', retryable: true }],
    });
    const answer = await deliver('zendesk', sign(acmeSecret));
    const retrying = await rejection(client.replayDelivery({ webhookId: answer.webhookId }, replayer));
    expect(retrying.code).toBe(Code.FailedPrecondition);
    expect(retrying.rawMessage).toContain('is failed: only a dead-lettered or delivered delivery can be replayed');
    const globex = await deliver('zendesk', sign(globexSecret));
    expect((await rejection(client.replayDelivery({ webhookId: globex.webhookId }, replayer))).code).toBe(Code.NotFound);
  });
});
