// DeliverWebhook, ListDeliveries and ReplayDelivery end to end within the router's pod: the real Envoy sidecar
// transcoding REST to the BUILT router as its own process, which asks a BookControllerService stand-in on loopback
// (test/controller-stand-in.ts) for each source's subscribers and their secrets, and dispatches to it. Bearer
// tokens are real JWTs of a local issuer whose JWKS is a file. Two organisations have instances subscribed to the
// same source: a webhook reaches only the instance whose own secret signed it.
import { Code } from '@connectrpc/connect';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { permissions } from '@bdk/auth';
import { startApp, startEnvoy, waitUntil, type RunningApp, type RunningEnvoy } from '@bdk/testing';
import { generateSigningSecret, signPayload, type SignatureScheme } from '@bdk/webhooks';
import { startControllerStandIn, type ControllerStandIn, type StandInSubscriber } from './controller-stand-in.js';
import { createRouterIdentity, type RouterIdentity } from './router-identity.js';

const namespace = 'bdk';
const controllerToken = `router-sa-token-${randomUUID()}`;
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function instance(org: 'acme' | 'globex', source: string, scheme: SignatureScheme): StandInSubscriber {
  const instanceId = randomUUID();
  return {
    source,
    instanceId,
    organizationId: `org-${org}`,
    name: `customer-${org}-${source}-${instanceId.slice(0, 8)}`,
    routedTo: `customer-${org}/${source}-book-1-0-0`,
    scheme,
    secrets: [generateSigningSecret()],
  };
}

// Two organisations on the same source, and one instance per other scheme.
const acmeZendesk = instance('acme', 'zendesk', 'zendesk');
const globexZendesk = instance('globex', 'zendesk', 'zendesk');
const bySchemes: Record<SignatureScheme, StandInSubscriber> = {
  github: instance('acme', 'github', 'github'),
  zendesk: acmeZendesk,
  slack: instance('globex', 'slack', 'slack'),
  stripe: instance('globex', 'stripe', 'stripe'),
  'standard-webhooks': instance('acme', 'my-crm', 'standard-webhooks'),
};

let identity: RouterIdentity | undefined;
let controller: ControllerStandIn | undefined;
let router: RunningApp | undefined;
let envoy: RunningEnvoy | undefined;

beforeAll(async () => {
  identity = await createRouterIdentity(controllerToken);
  controller = await startControllerStandIn(namespace);
  controller.subscribers.push(globexZendesk, ...Object.values(bySchemes));
  router = await startApp('webhook-router', {
    ...identity.env,
    BDK_CONTROLLER_URL: controller.url,
    BDK_CONTROLLER_TIMEOUT_MS: '3000',
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

function signedBy(subscriber: StandInSubscriber, body: Buffer, options: { secret?: string; timestamp?: Date } = {}) {
  return asSent(signPayload({ scheme: subscriber.scheme, payload: body, secret: options.secret ?? subscriber.secrets[0] ?? '', timestamp: options.timestamp }));
}

async function post(path: string, body: Buffer, headers: Record<string, string>, contentType = 'application/json') {
  const response = await fetch(`${envoy?.url}/api/v1/webhooks/${path}`, { method: 'POST', headers: { 'content-type': contentType, ...headers }, body });
  return { status: response.status, text: await response.text() };
}

const json = (text: string) => JSON.parse(text) as Record<string, unknown>;

// Key order, spacing, escapes and a non-ASCII character: re-encoding anywhere on the way would break the signature.
const payload = Buffer.from('{"ticket":{"id":"12345","subject":"caf\u00e9 \\u00e9"},  "priority":"high",\n"score":1.50}');

describe('POST /api/v1/webhooks/{source} through the sidecar', () => {
  it('delivers a webhook signed with org A\u2019s instance secret to A\u2019s instance only, and never names B\u2019s', async () => {
    const { status, text } = await post('zendesk', payload, { ...signedBy(acmeZendesk, payload), 'X-Webhook-Event': 'ticket.created' });
    expect(status).toBe(200);
    expect(json(text)).toEqual({
      webhook_id: expect.stringMatching(uuid) as unknown,
      processed: true,
      routed_to: acmeZendesk.routedTo,
      processing_time_ms: expect.any(Number) as unknown,
      targets: [acmeZendesk.routedTo],
      refused_targets: [],
    });
    for (const ofB of [globexZendesk.routedTo, globexZendesk.name, globexZendesk.instanceId, 'globex']) expect(text).not.toContain(ofB);
    const request = controller?.dispatched.at(-1);
    expect(request).toMatchObject({
      webhookId: json(text)['webhook_id'],
      source: 'zendesk',
      event: 'ticket.created',
      contentType: 'application/json',
      targets: [{ namespace, name: acmeZendesk.name }],
    });
    expect(request?.targets).toHaveLength(1);
    expect(Buffer.from(request?.payload ?? []).equals(payload)).toBe(true);
    expect(Object.keys(request?.headers ?? {}).filter((name) => name.includes('signature'))).toEqual([]);
  });

  it('delivers a webhook signed with org B\u2019s instance secret to B\u2019s instance only', async () => {
    const { status, text } = await post('zendesk', payload, signedBy(globexZendesk, payload));
    expect(status).toBe(200);
    expect(json(text)).toMatchObject({ processed: true, routed_to: globexZendesk.routedTo, targets: [globexZendesk.routedTo] });
    for (const ofA of [acmeZendesk.routedTo, acmeZendesk.name, acmeZendesk.instanceId, 'acme']) expect(text).not.toContain(ofA);
    expect(controller?.dispatched.at(-1)?.targets.map((t) => t.name)).toEqual([globexZendesk.name]);
  });

  it('answers 401 JSON to a signature of neither instance, a tampered body, no signature and an unknown source, alike', async () => {
    const before = controller?.dispatched.length;
    const tampered = Buffer.from(payload.toString('utf8').replace('12345', '12346'));
    const answers = [
      await post('zendesk', payload, signedBy(acmeZendesk, payload, { secret: generateSigningSecret() })),
      await post('zendesk', tampered, signedBy(acmeZendesk, payload)),
      await post('zendesk', payload, {}),
      await post('jira', payload, signedBy(acmeZendesk, payload)),
    ];
    for (const { status, text } of answers) {
      expect(status).toBe(401);
      expect(json(text)).toEqual({ code: Code.Unauthenticated, message: 'the webhook signature could not be verified', details: [] });
    }
    // Byte for byte the same answer: nothing tells the four apart.
    expect(new Set(answers.map(({ text }) => text)).size).toBe(1);
    expect(controller?.dispatched.length).toBe(before);
  });

  it.each(['zendesk', 'slack', 'stripe', 'standard-webhooks'] as const)('answers 401 to a replayed (stale) %s request', async (scheme) => {
    const subscriber = bySchemes[scheme];
    const before = controller?.dispatched.length;
    const signedLongAgo = signedBy(subscriber, payload, { timestamp: new Date(Date.now() - 10 * 60_000) });
    const { status, text } = await post(subscriber.source, payload, signedLongAgo);
    expect(status).toBe(401);
    expect(json(text)['message']).toBe('the webhook signature could not be verified');
    expect(controller?.dispatched.length).toBe(before);
  });

  it.each(Object.keys(bySchemes) as SignatureScheme[])('verifies a %s request end to end with the sender\u2019s own headers', async (scheme) => {
    const subscriber = bySchemes[scheme];
    const { status, text } = await post(subscriber.source, payload, { ...signedBy(subscriber, payload), 'User-Agent': `${scheme}-sender/1.0` });
    expect(status).toBe(200);
    expect(json(text)).toMatchObject({ processed: true, targets: [subscriber.routedTo] });
    const request = controller?.dispatched.at(-1);
    expect(request?.targets.map((t) => t.name)).toEqual([subscriber.name]);
    expect(Buffer.from(request?.payload ?? []).equals(payload)).toBe(true);
    if (scheme === 'standard-webhooks') expect(request?.headers['webhook-id']).toMatch(/^msg_/);
  });

  it('delivers on the instance-addressed route to that instance, and refuses another instance\u2019s signature there', async () => {
    const { status, text } = await post(`zendesk/instances/${acmeZendesk.instanceId}`, payload, signedBy(acmeZendesk, payload));
    expect(status).toBe(200);
    expect(json(text)).toMatchObject({ targets: [acmeZendesk.routedTo] });
    expect(controller?.listed).toContainEqual(expect.objectContaining({ source: 'zendesk', instanceId: acmeZendesk.instanceId }));

    const crossed = await post(`zendesk/instances/${acmeZendesk.instanceId}`, payload, signedBy(globexZendesk, payload));
    expect(crossed.status).toBe(401);
    const stranger = await post(`zendesk/instances/${randomUUID()}`, payload, signedBy(acmeZendesk, payload));
    expect(stranger.status).toBe(401);
    expect(json(crossed.text)).toEqual(json(stranger.text));
    const invalid = await post('zendesk/instances/customer-acme', payload, signedBy(acmeZendesk, payload));
    expect([invalid.status, json(invalid.text)['message']]).toEqual([400, 'instance_id: must be a UUID (8-4-4-4-12 hexadecimal digits)']);
  });

  it('answers 400 naming the field when the source is not a DNS label', async () => {
    const { status, text } = await post('Zen_Desk', payload, signedBy(acmeZendesk, payload));
    expect(status).toBe(400);
    expect(json(text)).toMatchObject({ code: Code.InvalidArgument, message: expect.stringMatching(/^source: must be a DNS label/) as unknown });
  });

  it('accepts both secrets inside a rotation window, the new one at once', async () => {
    const previous = acmeZendesk.secrets[0] ?? '';
    const next = generateSigningSecret();
    acmeZendesk.secrets = [next, previous];
    // The router's cached list predates the rotation; a miss refetches it (at most once a second per source).
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const withNew = await post('zendesk', payload, signedBy(acmeZendesk, payload, { secret: next }));
    expect([withNew.status, json(withNew.text)['targets']]).toEqual([200, [acmeZendesk.routedTo]]);
    const withPrevious = await post('zendesk', payload, signedBy(acmeZendesk, payload, { secret: previous }));
    expect([withPrevious.status, json(withPrevious.text)['targets']]).toEqual([200, [acmeZendesk.routedTo]]);
    // The window closes: only the new secret is left.
    acmeZendesk.secrets = [next];
    await waitUntil(
      'the previous secret to stop verifying',
      async () => (await post('zendesk', payload, signedBy(acmeZendesk, payload, { secret: previous }))).status === 401,
      { intervalMs: 250 },
    );
    expect((await post('zendesk', payload, signedBy(acmeZendesk, payload, { secret: next }))).status).toBe(200);
  });

  it('echoes Slack\u2019s url_verification challenge and dispatches nothing', async () => {
    const slack = bySchemes.slack;
    const before = controller?.dispatched.length;
    const handshake = Buffer.from(JSON.stringify({ token: 'Jhj5dZrVaK7ZwHHjRyZWjbDl', challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P', type: 'url_verification' }));
    const { status, text } = await post('slack', handshake, signedBy(slack, handshake));
    expect(status).toBe(200);
    expect(json(text)).toMatchObject({ challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P', targets: [], routed_to: '' });
    expect(controller?.dispatched.length).toBe(before);
    expect((await post('slack', handshake, {})).status).toBe(401);
  });

  it('sends the router\u2019s ServiceAccount token on every controller call, re-read when the file changes', async () => {
    expect(controller?.authorizations.length).toBeGreaterThan(0);
    expect(new Set(controller?.authorizations)).toEqual(new Set([`Bearer ${controllerToken}`]));
    const rotated = `router-sa-token-${randomUUID()}`;
    await identity?.writeControllerToken(rotated);
    expect((await post('zendesk', payload, signedBy(globexZendesk, payload))).status).toBe(200);
    expect(controller?.authorizations.at(-1)).toBe(`Bearer ${rotated}`);
  });

  it('counts webhooks by source and outcome, with sources that have no subscriber as "unknown"', async () => {
    const metrics = await (await fetch(`http://127.0.0.1:${router?.adminPort}/metrics`)).text();
    expect(metrics).toMatch(/bdk_webhooks_total\{source="zendesk",outcome="accepted",service="webhook-router"\} [1-9]/);
    expect(metrics).toMatch(/bdk_webhook_delivery_attempts_total\{source="zendesk",outcome="delivered",service="webhook-router"\} [1-9]/);
    expect(metrics).toMatch(/bdk_webhook_delivery_latency_seconds_count\{service="webhook-router",source="zendesk"\} [1-9]/);
    for (const gauge of ['bdk_webhook_queue_depth', 'bdk_webhook_queue_oldest_age_seconds', 'bdk_webhook_dead_letters']) expect(metrics).toContain(`${gauge}{service="webhook-router"}`);
    expect(metrics).toMatch(/bdk_webhooks_total\{source="zendesk",outcome="unauthenticated",service="webhook-router"\} [1-9]/);
    expect(metrics).toMatch(/bdk_webhooks_total\{source="slack",outcome="url_verification",service="webhook-router"\} 1/);
    expect(metrics).toMatch(/bdk_webhooks_total\{source="unknown",outcome="unauthenticated",service="webhook-router"\} [1-9]/);
    expect(metrics).not.toContain('source="jira"');
  });
});

describe('GET /api/v1/webhooks/deliveries and :replay through the sidecar', () => {
  const get = async (query: string, token?: string) => {
    const response = await fetch(`${envoy?.url}/api/v1/webhooks/deliveries${query}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: response.status, body: (await response.json()) as { deliveries: Record<string, unknown>[]; next_page_token: string; code?: number } };
  };

  it('answers 401 without a token and 403 to a token without deliveries:read', async () => {
    const anonymous = await get('');
    expect([anonymous.status, anonymous.body.code]).toEqual([401, Code.Unauthenticated]);
    const forged = await get('', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.');
    expect(forged.status).toBe(401);
    const booksOnly = await identity?.token({ organizationId: 'org-acme', permissions: [permissions.booksRead, permissions.deliveriesReplay] });
    const denied = await get('', booksOnly);
    expect([denied.status, denied.body.code]).toEqual([403, Code.PermissionDenied]);
  });

  it('lists only the caller\u2019s organisation\u2019s deliveries', async () => {
    const acme = await get('?page_size=500', await identity?.token({ organizationId: 'org-acme', permissions: [permissions.deliveriesRead] }));
    expect(acme.status).toBe(200);
    expect(acme.body.deliveries.length).toBeGreaterThan(1);
    for (const delivery of acme.body.deliveries) {
      expect(delivery['organization_id']).toBe('org-acme');
      for (const target of delivery['targets'] as string[]) expect(target).toMatch(/^customer-acme\//);
    }
    expect(acme.body.deliveries.at(-1)).toMatchObject({
      webhook_id: expect.stringMatching(uuid) as unknown,
      source: 'zendesk',
      event: 'ticket.created',
      state: 'delivered',
      attempts: 1,
      targets: [acmeZendesk.routedTo],
      payload_size: payload.length,
      received_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown,
    });

    const globex = await get('?source=zendesk', await identity?.token({ organizationId: 'org-globex', permissions: [permissions.deliveriesRead] }));
    expect(globex.body.deliveries.length).toBeGreaterThan(0);
    expect(globex.body.deliveries.every((d) => d['organization_id'] === 'org-globex' && JSON.stringify(d['targets']) === JSON.stringify([globexZendesk.routedTo]))).toBe(true);

    const stranger = await get('', await identity?.token({ organizationId: 'org-initech', permissions: [permissions.deliveriesRead] }));
    expect(stranger.body).toEqual({ deliveries: [], next_page_token: '' });
  });

  it('reads one delivery with its targets and attempts, for its organisation only', async () => {
    const body = Buffer.from(JSON.stringify({ ticket: { id: randomUUID() } }));
    const accepted = json((await post('zendesk', body, signedBy(acmeZendesk, body))).text);
    const read = async (token: string | undefined) => {
      const response = await fetch(`${envoy?.url}/api/v1/webhooks/deliveries/${String(accepted['webhook_id'])}`, { headers: { authorization: `Bearer ${token}` } });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const acme = await read(await identity?.token({ organizationId: 'org-acme', permissions: [permissions.deliveriesRead] }));
    expect(acme.status).toBe(200);
    expect(acme.body['delivery']).toMatchObject({
      webhook_id: accepted['webhook_id'],
      state: 'delivered',
      target_states: [{ instance_id: acmeZendesk.instanceId, routed_to: acmeZendesk.routedTo, state: 'delivered', attempts: 1 }],
      attempt_log: [{ instance_id: acmeZendesk.instanceId, http_status: 202, error: '' }],
    });
    const globex = await read(await identity?.token({ organizationId: 'org-globex', permissions: [permissions.deliveriesRead] }));
    expect([globex.status, globex.body['code']]).toEqual([404, Code.NotFound]);
  });

  it('answers :replay with 401 to a stranger, 403 without deliveries:replay and 404 for an unknown delivery', async () => {
    const replay = async (token?: string) =>
      (
        await fetch(`${envoy?.url}/api/v1/webhooks/deliveries/${randomUUID()}:replay`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body: '{}',
        })
      ).status;
    expect(await replay()).toBe(401);
    expect(await replay(await identity?.token({ organizationId: 'org-acme', permissions: [permissions.deliveriesRead] }))).toBe(403);
    expect(await replay(await identity?.token({ organizationId: 'org-acme', permissions: [permissions.deliveriesReplay] }))).toBe(404);
  });

  it('routes the bulk replay POST /api/v1/webhooks/deliveries:replay, not as a webhook of a source', async () => {
    const response = await fetch(`${envoy?.url}/api/v1/webhooks/deliveries:replay`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await identity?.token({ organizationId: 'org-acme', permissions: [permissions.deliveriesReplay] })}`,
      },
      body: JSON.stringify({ source: 'zendesk', received_after: '2026-01-01T00:00:00Z' }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ webhook_ids: [] });
  });
});

describe('a sender retrying a delivery', () => {
  it('gets the original webhook id and the book receives it once', async () => {
    const body = Buffer.from(JSON.stringify({ ticket: { id: randomUUID() } }));
    const headers = { ...signedBy(acmeZendesk, body), 'X-Webhook-Delivery': `zd-${randomUUID()}` };
    const first = json((await post('zendesk', body, headers)).text);
    const again = json((await post('zendesk', body, headers)).text);
    expect(again).toMatchObject({ webhook_id: first['webhook_id'], duplicate: true, processed: true });
    expect(controller?.dispatched.filter((d) => d.webhookId === first['webhook_id'])).toHaveLength(1);
  });
});

describe('the router\u2019s process', () => {
  it('never writes a signing secret, a signature or a token to its logs', () => {
    const output = router?.process.output() ?? '';
    expect(output).toContain('"msg":"webhook accepted"');
    expect(output).toContain('"msg":"webhook rejected"');
    for (const subscriber of [globexZendesk, ...Object.values(bySchemes)]) {
      for (const secret of subscriber.secrets) expect(output).not.toContain(secret);
    }
    expect(output).not.toContain(controllerToken);
    expect(output).not.toContain('eyJ');
  });

  it('answers 503 when the book controller is down', async () => {
    await controller?.stop();
    const fresh = instance('acme', 'fresh-source', 'standard-webhooks');
    const { status, text } = await post(fresh.source, payload, signedBy(fresh, payload));
    expect(status).toBe(503);
    expect(json(text)).toMatchObject({ code: Code.Unavailable, message: 'the book controller is unavailable; try again later' });
  });
});
