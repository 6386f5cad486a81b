import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, createClient, createRouterTransport } from '@connectrpc/connect';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { AuthenticationError, authInterceptor, permissions, type Principal, type TokenVerifier } from '@bdk/auth';
import {
  BookControllerService,
  WebhookService,
  WebhookSubscriberSchema,
  type DispatchTriggerRequest,
  type ListWebhookSubscribersRequest,
  type WebhookSubscriber,
} from '@bdk/proto';
import { createLogger } from '@bdk/service-runtime';
import { generateSigningSecret, signPayload, type SignatureScheme } from '@bdk/webhooks';
import { DeliveryLog } from './delivery-log.js';
import { routerMethodPermissions } from './method-permissions.js';
import { createSubscriberCache } from './subscriber-cache.js';
import type { WebhookOutcome } from './webhook-metrics.js';
import { unauthenticatedMessage, webhookService } from './webhook-service.js';

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
let deliveries: DeliveryLog;

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
        dispatchTrigger(request) {
          dispatched.push(request);
          return dispatchAnswer(request) as never;
        },
      }),
    ),
  );
  const logger = createLogger('test', { write: (line) => logLines.push(line) });
  const impl = webhookService({
    subscribers: createSubscriberCache({
      load: async (key) => (await controller.listWebhookSubscribers(key)).subscribers,
      ttlMs: 5_000,
      now: () => clock,
    }),
    controller,
    controllerTimeoutMs: 1_000,
    timestampToleranceSeconds: 300,
    logger,
    metrics: { count: (source, outcome) => counted.push([source, outcome]) },
    deliveries,
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
  deliveries = new DeliveryLog();
  client = router();
});

afterEach(() => {
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
    expect(counted).toEqual([['zendesk', 'delivered']]);
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

  it('answers processed=false and records the failure when an instance did not accept the webhook', async () => {
    dispatchAnswer = (request) => ({
      results: [{ target: request.targets[0], delivered: false, httpStatus: 500, routedTo: 'customer-acme/support-1-0-0', error: 'book answered 500', retryable: true }],
    });
    const answer = await deliver('zendesk', sign(acmeSecret));
    expect(answer).toMatchObject({ processed: false, routedTo: 'customer-acme/support-1-0-0' });
    expect(counted).toEqual([['zendesk', 'failed']]);
    expect(logLines.join('\n')).toContain('book answered 500');
    expect(deliveries.list({ organizationId: 'org-acme', pageSize: 10 }).deliveries).toEqual([
      expect.objectContaining({ state: 'failed', organizationId: 'org-acme', lastError: 'customer-acme/support-1-0-0: book answered 500' }),
    ]);
  });

  it('answers Unavailable when the controller cannot list subscribers or dispatch, and Internal for other failures', async () => {
    listAnswer = () => {
      throw new ConnectError('connection refused', Code.Unavailable);
    };
    const listing = await rejection(deliver('zendesk', sign(acmeSecret)));
    expect([listing.code, listing.rawMessage]).toEqual([Code.Unavailable, 'the book controller is unavailable; try again later']);

    listAnswer = ({ source }) => subscribersBySource[source] ?? [];
    clock += 10_000;
    dispatchAnswer = () => {
      throw new ConnectError('connection refused', Code.Unavailable);
    };
    const dispatching = await rejection(deliver('zendesk', sign(acmeSecret)));
    expect(dispatching.code).toBe(Code.Unavailable);
    expect(deliveries.list({ organizationId: 'org-acme', pageSize: 10 }).deliveries).toEqual([
      expect.objectContaining({ state: 'failed', lastError: 'book controller unavailable: connection refused' }),
    ]);

    dispatchAnswer = () => {
      throw new ConnectError('targets[0].name: internal detail', Code.InvalidArgument);
    };
    const failing = await rejection(deliver('zendesk', sign(acmeSecret)));
    expect([failing.code, failing.rawMessage]).toEqual([Code.Internal, 'routing the webhook failed']);
    expect(counted).toEqual([
      ['unknown', 'unavailable'],
      ['zendesk', 'unavailable'],
      ['zendesk', 'error'],
    ]);
  });
});

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

describe('replayDelivery', () => {
  it('answers Unimplemented only to an authenticated caller with deliveries:replay', async () => {
    const request = { webhookId: 'w-1' };
    expect((await rejection(client.replayDelivery(request))).code).toBe(Code.Unauthenticated);
    expect((await rejection(client.replayDelivery(request, { headers: { authorization: 'Bearer acme-reader' } }))).code).toBe(Code.PermissionDenied);
    expect((await rejection(client.replayDelivery(request, { headers: { authorization: 'Bearer acme-replayer' } }))).code).toBe(Code.Unimplemented);
  });
});
