// The controller's internal API on the built app, with real ServiceAccount tokens reviewed by a real apiserver:
// who may call what; StoreInstanceSecrets writing the credentials and signing Secrets (labels, layout, rotation,
// concurrent writers, other organisations); ListWebhookSubscribers answering the secrets that verify now; the
// audit lines and Events every write leaves; and no secret value in the process output, ever.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, type Client } from '@connectrpc/connect';
import {
  bdkAnnotations,
  bdkLabels,
  bdkResources,
  credentialsSecretName,
  managedByBdk,
  webhookSigningSecretName,
  type BdkResources,
  type BookDefinition,
  type BookInstanceDefinition,
} from '@bdk/k8s';
import type { BookControllerService } from '@bdk/proto';
import { ServingStatus } from '@bdk/service-runtime';
import { startApp, startKubeEnv, waitUntil, type KubeEnv, type RunningApp } from '@bdk/testing';
import { CoreV1Api, type V1Secret } from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import { controllerClient, customerNamespaceLabels, seedBook, seedInstance, serviceAccountToken } from './fixtures.js';

const bdkNamespace = 'bdk';
let env: KubeEnv | undefined;
let app: RunningApp | undefined;
let resources: BdkResources;
let core: CoreV1Api;
let tokens: { router: string; library: string; intruder: string; wrongAudience: string };
let router: Client<typeof BookControllerService>;
let library: Client<typeof BookControllerService>;
let book: BookDefinition;
/** Every secret value and token the tests hand out: none may ever appear in the controller's output. */
const secretValues: string[] = [];
const secretValue = (label: string) => {
  const value = `${label}-${randomUUID()}`;
  secretValues.push(value);
  return value;
};

beforeAll(async () => {
  env = await startKubeEnv();
  resources = bdkResources(env.kubeConfig);
  core = env.kubeConfig.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: bdkNamespace } } });
  tokens = {
    router: await serviceAccountToken(env.kubeConfig, bdkNamespace, 'webhook-router'),
    library: await serviceAccountToken(env.kubeConfig, bdkNamespace, 'library-service'),
    intruder: await serviceAccountToken(env.kubeConfig, bdkNamespace, 'intruder'),
    wrongAudience: await serviceAccountToken(env.kubeConfig, bdkNamespace, 'webhook-router', 'some-other-service'),
  };
  secretValues.push(...Object.values(tokens));
  // The spec's book with a second webhook integration that names no scheme (so the source's default applies).
  const seed = seedBook(bdkNamespace, randomUUID());
  seed.spec.integrations = [...(seed.spec.integrations ?? []), { name: 'acme-hooks', type: 'webhook', config: { source: 'acme', endpoint: '/hooks' } }];
  book = await resources.books.create(bdkNamespace, seed);
  app = await startApp('book-controller', { KUBECONFIG: env.kubeconfigPath, BDK_NAMESPACE: bdkNamespace, BDK_BOOK_URL_TEMPLATE: 'http://127.0.0.1:1' });
  router = controllerClient(app.grpcPort, tokens.router);
  library = controllerClient(app.grpcPort, tokens.library);
}, 120_000);

afterAll(async () => {
  await app?.stop();
  await env?.stop();
}, 60_000);

// After each test, while its lines are still in the kept output: no value and no token was ever logged.
afterEach(() => {
  const output = app?.process.output() ?? '';
  for (const value of secretValues) expect(output).not.toContain(value);
});

async function createInstance(customerNamespace: string, organizationId: string): Promise<BookInstanceDefinition> {
  return resources.instances.create(bdkNamespace, seedInstance({ namespace: bdkNamespace, customerNamespace, book, instanceId: randomUUID(), organizationId }));
}

const idOf = (instance: BookInstanceDefinition) => instance.metadata.labels?.[bdkLabels.instanceId] ?? '';
const targetOf = (instance: BookInstanceDefinition) => ({ namespace: bdkNamespace, name: instance.metadata.name ?? '' });
const readSecret = (namespace: string, name: string) => core.readNamespacedSecret({ namespace, name });
const decoded = (secret: V1Secret) => Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
const codeOf = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => ConnectError.from(error));

/** The controller's audit records so far, as logged. */
function auditRecords(): Record<string, unknown>[] {
  return (app?.process.output() ?? '')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { msg?: string; audit?: Record<string, unknown> })
    .filter((line) => line.msg === 'audit' && line.audit)
    .map((line) => line.audit ?? {});
}

function store(
  instance: BookInstanceDefinition,
  options: { organizationId?: string; reason?: string; credentials?: Record<string, string>; webhookSecrets?: { source: string; secret: string; previousValidSeconds?: number }[] },
  client = library,
) {
  return client.storeInstanceSecrets({
    instance: targetOf(instance),
    organizationId: options.organizationId ?? instance.spec.customer.organization_id,
    actor: 'user:alice@example.com',
    reason: options.reason ?? 'create',
    credentials: options.credentials ?? {},
    webhookSecrets: options.webhookSecrets ?? [],
  });
}

describe('authentication of the internal API', () => {
  let instance: BookInstanceDefinition;
  const calls = (client: Client<typeof BookControllerService>) => ({
    DispatchTrigger: () => client.dispatchTrigger({ webhookId: 'wh-1', source: 'zendesk', payload: new Uint8Array(), targets: [targetOf(instance)] }),
    DispatchTriggers: () => client.dispatchTriggers({ triggers: [{ webhookId: 'wh-1', source: 'zendesk', payload: new Uint8Array(), targets: [targetOf(instance)] }] }),
    ListWebhookSubscribers: () => client.listWebhookSubscribers({ source: 'zendesk' }),
    StoreInstanceSecrets: () => store(instance, { credentials: { zendesk_api_key: secretValue('auth-probe') } }, client),
  });

  beforeAll(async () => {
    instance = await createInstance('customer-auth', 'org-auth');
  });

  it('keeps health open to callers without a token (kubelet probes)', async () => {
    expect(await app?.healthStatus('bdk.v1.BookControllerService')).toBe(ServingStatus.SERVING);
  });

  it.each(['DispatchTrigger', 'DispatchTriggers', 'ListWebhookSubscribers', 'StoreInstanceSecrets'] as const)('answers %s Unauthenticated without a valid token for its audience', async (method) => {
    const port = app?.grpcPort ?? 0;
    for (const client of [controllerClient(port), controllerClient(port, 'not.a.token'), controllerClient(port, tokens.wrongAudience)]) {
      expect((await codeOf(calls(client)[method]()))?.code).toBe(Code.Unauthenticated);
    }
  });

  it.each(['DispatchTrigger', 'DispatchTriggers', 'ListWebhookSubscribers', 'StoreInstanceSecrets'] as const)("answers %s PermissionDenied to a valid token of another identity", async (method) => {
    const error = await codeOf(calls(controllerClient(app?.grpcPort ?? 0, tokens.intruder))[method]());
    expect(error?.code).toBe(Code.PermissionDenied);
    expect(error?.rawMessage).toBe(`system:serviceaccount:${bdkNamespace}:intruder may not call ${method}`);
  });

  it('gives each caller only its own RPCs', async () => {
    expect((await codeOf(calls(router).StoreInstanceSecrets()))?.code).toBe(Code.PermissionDenied);
    expect((await codeOf(calls(library).DispatchTrigger()))?.code).toBe(Code.PermissionDenied);
    expect((await codeOf(calls(library).DispatchTriggers()))?.code).toBe(Code.PermissionDenied);
    expect((await codeOf(calls(library).ListWebhookSubscribers()))?.code).toBe(Code.PermissionDenied);
    expect(await codeOf(calls(router).ListWebhookSubscribers())).toBeUndefined();
    // Nothing was written for any refused call.
    const secrets = await core.listNamespacedSecret({ namespace: 'customer-auth', labelSelector: `${bdkLabels.instanceId}=${idOf(instance)}` }).catch(() => ({ items: [] }));
    expect(secrets.items).toEqual([]);
    expect(app?.process.output()).toContain('"msg":"internal call refused"');
  });
});

describe('StoreInstanceSecrets', () => {
  let instance: BookInstanceDefinition;
  const customerNamespace = 'customer-store';
  const organizationId = 'org-store';
  const names = () => ({
    credentials: credentialsSecretName(book.spec.name, idOf(instance)),
    signing: webhookSigningSecretName(book.spec.name, idOf(instance)),
  });
  const values = { zendesk: secretValue('zendesk-api-key'), slack: secretValue('slack-bot-token'), hook1: secretValue('hook-1'), hook2: secretValue('hook-2') };

  beforeAll(async () => {
    instance = await createInstance(customerNamespace, organizationId);
  });

  it('creates the namespace for the organisation and writes both Secrets with their labels and values', async () => {
    const response = await store(instance, {
      credentials: { zendesk_api_key: values.zendesk, slack_bot_token: values.slack },
      webhookSecrets: [{ source: 'zendesk', secret: values.hook1, previousValidSeconds: 3600 }],
    });
    expect(response.written).toEqual([`${customerNamespace}/${names().credentials}`, `${customerNamespace}/${names().signing}`]);
    expect(response.previousExpiresAt).toEqual({});

    expect((await core.readNamespace({ name: customerNamespace })).metadata?.labels).toEqual(expect.objectContaining(customerNamespaceLabels(organizationId)));
    const common = {
      [bdkLabels.instanceId]: idOf(instance),
      [bdkLabels.bookId]: instance.metadata.labels?.[bdkLabels.bookId],
      [bdkLabels.managedBy]: managedByBdk,
      [bdkLabels.organizationId]: organizationId,
    };
    const credentials = await readSecret(customerNamespace, names().credentials);
    expect(credentials.metadata?.labels).toEqual({ ...common, [bdkLabels.secretPurpose]: 'credentials' });
    expect(credentials.metadata?.annotations).toEqual(expect.objectContaining({ [bdkAnnotations.instanceRef]: `${bdkNamespace}/${instance.metadata.name}` }));
    expect(decoded(credentials)).toEqual({ zendesk_api_key: values.zendesk, slack_bot_token: values.slack });
    const signing = await readSecret(customerNamespace, names().signing);
    expect(signing.metadata?.labels).toEqual({ ...common, [bdkLabels.secretPurpose]: 'webhook-signing' });
    expect(decoded(signing)).toEqual({ zendesk: JSON.stringify({ current: values.hook1 }) });

    // Audited one line per credential and source, and an Event each, naming who and what, never a value.
    const records = auditRecords().filter((r) => r['instance_id'] === idOf(instance));
    expect(records).toEqual(
      expect.arrayContaining(
        [
          ['credential.write', 'zendesk_api_key'],
          ['credential.write', 'slack_bot_token'],
          ['webhook_secret.write', 'zendesk'],
        ].map(([action, name]) =>
          expect.objectContaining({
            action,
            name,
            actor: 'user:alice@example.com',
            caller: `system:serviceaccount:${bdkNamespace}:library-service`,
            organization_id: organizationId,
            instance: `${bdkNamespace}/${instance.metadata.name}`,
            reason: 'create',
            outcome: 'success',
            time: expect.any(String),
          }),
        ),
      ),
    );
    const events = (await core.listNamespacedEvent({ namespace: bdkNamespace, fieldSelector: `involvedObject.name=${instance.metadata.name}` })).items;
    expect(events.map((e) => [e.reason, e.message])).toEqual(
      expect.arrayContaining([
        ['CredentialsWritten', 'credentials zendesk_api_key, slack_bot_token written by user:alice@example.com (create)'],
        ['WebhookSecretRotated', 'webhook signing secrets for zendesk written by user:alice@example.com (create)'],
      ]),
    );
  });

  it('rotates: the new secret becomes current, the old one previous until the window ends; other credentials stay', async () => {
    const before = Date.now();
    const response = await store(instance, {
      reason: 'rotate',
      credentials: { zendesk_api_key: secretValue('zendesk-api-key-2') },
      webhookSecrets: [{ source: 'zendesk', secret: values.hook2, previousValidSeconds: 3600 }],
    });
    const stamp = response.previousExpiresAt['zendesk'];
    if (!stamp) throw new Error('no previous_expires_at for zendesk');
    const expiry = timestampDate(stamp);
    expect(expiry.getTime()).toBeGreaterThanOrEqual(before + 3_600_000 - 1_000);
    expect(expiry.getTime()).toBeLessThanOrEqual(Date.now() + 3_600_000 + 1_000);
    const entry = JSON.parse(decoded(await readSecret(customerNamespace, names().signing))['zendesk'] ?? '{}') as Record<string, string>;
    expect(entry).toEqual({ current: values.hook2, previous: values.hook1, previousExpiresAt: expiry.toISOString() });
    const credentials = decoded(await readSecret(customerNamespace, names().credentials));
    expect(credentials['slack_bot_token']).toBe(values.slack);
    expect(credentials['zendesk_api_key']).not.toBe(values.zendesk);
    expect(auditRecords()).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'webhook_secret.write', name: 'zendesk', reason: 'rotate', instance_id: idOf(instance) })]));
  });

  it('loses neither of two writes made at the same time', async () => {
    const writes = Array.from({ length: 4 }, (_, i) => ({ name: `concurrent_${i}`, value: secretValue(`concurrent-${i}`), source: `source-${i}` }));
    await Promise.all(
      writes.map((write) => store(instance, { reason: 'rotate', credentials: { [write.name]: write.value }, webhookSecrets: [{ source: write.source, secret: write.value }] })),
    );
    const credentials = decoded(await readSecret(customerNamespace, names().credentials));
    const signing = decoded(await readSecret(customerNamespace, names().signing));
    for (const write of writes) {
      expect(credentials[write.name]).toBe(write.value);
      expect(JSON.parse(signing[write.source] ?? '{}')).toEqual({ current: write.value });
    }
    expect(credentials['slack_bot_token']).toBe(values.slack);
    expect(JSON.parse(signing['zendesk'] ?? '{}')).toMatchObject({ current: values.hook2 });
  });

  it('keeps both of two rotations of one source made at the same time: one is current, the other previous', async () => {
    const [a, b] = [secretValue('race-a'), secretValue('race-b')];
    await Promise.all([a, b].map((secret) => store(instance, { reason: 'rotate', webhookSecrets: [{ source: 'zendesk', secret, previousValidSeconds: 3600 }] })));
    const entry = JSON.parse(decoded(await readSecret(customerNamespace, names().signing))['zendesk'] ?? '{}') as Record<string, string>;
    // A lost update would leave the secret from before both calls as previous.
    expect([entry['current'], entry['previous']].sort()).toEqual([a, b].sort());
  });

  it("answers another organisation's call on the instance NotFound, exactly as for a missing one, and writes nothing", async () => {
    const versions = async () => [
      (await readSecret(customerNamespace, names().credentials)).metadata?.resourceVersion,
      (await readSecret(customerNamespace, names().signing)).metadata?.resourceVersion,
    ];
    const before = await versions();
    const foreign = await codeOf(store(instance, { organizationId: 'org-other', credentials: { zendesk_api_key: secretValue('foreign') } }));
    expect(foreign?.code).toBe(Code.NotFound);
    const missing = await codeOf(store({ ...instance, metadata: { ...instance.metadata, name: 'no-such-instance' } }, { organizationId: 'org-other', credentials: { x: secretValue('x') } }));
    expect(missing?.code).toBe(Code.NotFound);
    expect(foreign?.rawMessage).toBe(`BookInstanceDefinition ${bdkNamespace}/${instance.metadata.name} not found`);
    expect(await versions()).toEqual(before);
    expect(auditRecords()).toEqual(
      expect.arrayContaining([expect.objectContaining({ action: 'credential.write', name: 'zendesk_api_key', organization_id: 'org-other', outcome: 'denied' })]),
    );
  });

  it('refuses bad input with InvalidArgument naming the field', async () => {
    const error = await codeOf(store(instance, { reason: 'because', credentials: { a: secretValue('a') } }));
    expect(error).toMatchObject({ code: Code.InvalidArgument, rawMessage: 'reason must be "create" or "rotate", got "because"' });
  });

  it("refuses with PermissionDenied to write into a namespace another organisation owns, and writes nothing there", async () => {
    await core.createNamespace({ body: { metadata: { name: 'customer-taken', labels: customerNamespaceLabels('org-first') } } });
    const late = await createInstance('customer-taken', 'org-second');
    const error = await codeOf(store(late, { credentials: { zendesk_api_key: secretValue('late') }, webhookSecrets: [{ source: 'zendesk', secret: secretValue('late-hook') }] }));
    expect(error).toMatchObject({ code: Code.PermissionDenied, rawMessage: 'namespace customer-taken belongs to another organisation' });
    expect((await core.listNamespacedSecret({ namespace: 'customer-taken' })).items.filter((s) => s.metadata?.labels?.[bdkLabels.instanceId] === idOf(late))).toEqual([]);
    // The reconcile refuses the namespace too: the instance is Failed, with nothing of it in the namespace.
    await waitUntil('the instance Failed', async () => (await resources.instances.get(bdkNamespace, late.metadata.name ?? '')).status?.phase === 'Failed');
    expect((await core.listNamespacedConfigMap({ namespace: 'customer-taken', labelSelector: `${bdkLabels.instanceId}=${idOf(late)}` })).items).toEqual([]);
  });
});

describe('ListWebhookSubscribers', () => {
  let instance: BookInstanceDefinition;
  let unsigned: BookInstanceDefinition;
  const first = secretValue('window-1');
  const second = secretValue('window-2');
  const list = (source = 'zendesk', instanceId = '') => router.listWebhookSubscribers({ source, instanceId });
  const subscriberOf = async (id: string, source = 'zendesk') => (await list(source)).subscribers.find((s) => s.instanceId === id);

  beforeAll(async () => {
    instance = await createInstance('customer-list', 'org-list');
    unsigned = await createInstance('customer-list-unsigned', 'org-list');
    await store(instance, { webhookSecrets: [{ source: 'zendesk', secret: first }, { source: 'acme', secret: first }] });
  });

  it('returns the subscriber with its scheme, routing and current secret; an instance without a signing Secret is skipped', async () => {
    const subscriber = await waitUntil('the subscriber in the cache', () => subscriberOf(idOf(instance)));
    expect(subscriber).toMatchObject({
      target: targetOf(instance),
      instanceId: idOf(instance),
      organizationId: 'org-list',
      routedTo: `customer-list/${book.metadata.name}`,
      scheme: 'zendesk',
      secrets: [first],
    });
    expect((await list()).subscribers.map((s) => s.instanceId)).not.toContain(idOf(unsigned));
    // A source without a scheme of its own: Standard Webhooks.
    expect(await subscriberOf(idOf(instance), 'acme')).toMatchObject({ scheme: 'standard-webhooks', secrets: [first] });
    expect((await list('zendesk', idOf(instance))).subscribers.map((s) => s.instanceId)).toEqual([idOf(instance)]);
    expect((await list('zendesk', randomUUID())).subscribers).toEqual([]);
    expect((await list('slack')).subscribers).toEqual([]);
    const reads = auditRecords().filter((r) => r['action'] === 'webhook_secret.read');
    expect(reads).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          actor: `system:serviceaccount:${bdkNamespace}:webhook-router`,
          name: 'zendesk',
          reason: 'route',
          outcome: 'success',
          instances: expect.arrayContaining([{ instance: `${bdkNamespace}/${instance.metadata.name}`, instance_id: idOf(instance), organization_id: 'org-list' }]),
        }),
      ]),
    );
  });

  it('returns current and previous inside the rotation window, and only current after it', async () => {
    await store(instance, { reason: 'rotate', webhookSecrets: [{ source: 'zendesk', secret: second, previousValidSeconds: 2 }] });
    const during = await waitUntil('the rotated secret in the cache', async () => {
      const subscriber = await subscriberOf(idOf(instance));
      return subscriber?.secrets[0] === second ? subscriber : undefined;
    });
    expect(during.secrets).toEqual([second, first]);
    const after = await waitUntil('the window to end', async () => {
      const subscriber = await subscriberOf(idOf(instance));
      return subscriber?.secrets.length === 1 ? subscriber : undefined;
    }, { timeoutMs: 5_000 });
    expect(after.secrets).toEqual([second]);
  });

  it('removes both Secrets with the instance', async () => {
    const name = instance.metadata.name ?? '';
    await resources.instances.delete(bdkNamespace, name);
    await waitUntil('the instance gone', async () => (await resources.instances.find(bdkNamespace, name)) === undefined);
    expect((await core.listNamespacedSecret({ namespace: 'customer-list', labelSelector: `${bdkLabels.instanceId}=${idOf(instance)}` })).items).toEqual([]);
    await waitUntil('no subscriber left', async () => (await subscriberOf(idOf(instance))) === undefined);
  });
});
