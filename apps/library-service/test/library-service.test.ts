// The built library-service against a real kube-apiserver, the real built book-controller (which writes the
// instances' Secrets), a fake Model Manager on loopback, and clients of both gRPC stacks (connect-node and
// @grpc/grpc-js) carrying bearer tokens of a local issuer. What is asserted is what the apiserver stored.
import { fromBinary, fromJson, toBinary, toJsonString, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, createClient, type Client, type Interceptor } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api } from '@kubernetes/client-node';
import {
  BookLibraryService,
  CreateBookInstanceRequestSchema,
  CreateBookRequestSchema,
  CreateBookResponseSchema,
  GetBookInstanceResponseSchema,
  GetBookRequestSchema,
  GetBookResponseSchema,
  RotateInstanceCredentialsResponseSchema,
} from '@bdk/proto';
import { bdkAnnotations, bdkLabels, bdkResources, labelSelector } from '@bdk/k8s';
import { freePort, setUpPlatformIdentity, startApp, waitUntil, startKubeEnv, type KubeEnv, type PlatformIdentity, type RunningApp } from '@bdk/testing';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  refuseInstancesOfOrganization,
  refusedOrganization,
  seedBook,
  seedInstance,
  seedPrompts,
  startFakeModelManager,
  uuidPattern,
  type FakeModelManager,
} from './fixtures.js';

const bdkNamespace = 'bdk-system';
let kube: KubeEnv;
let modelManager: FakeModelManager;
let app: RunningApp;
let controller: RunningApp;
let identity: PlatformIdentity;
/** A caller of organisation org-uuid-123 who is also a platform admin (publishes the books it instantiates). */
let library: Client<typeof BookLibraryService>;
let core: CoreV1Api;
const started: { stop(): Promise<unknown> }[] = [];
const organization = 'org-uuid-123';

/** A client of `port` that sends `token` as its bearer token (none when undefined). */
function clientWith(token: string | undefined, port = app.grpcPort): Client<typeof BookLibraryService> {
  const bearer: Interceptor = (next) => (request) => {
    if (token) request.header.set('authorization', `Bearer ${token}`);
    return next(request);
  };
  return createClient(BookLibraryService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}`, interceptors: [bearer] }));
}

/** The library-service's environment: the apiserver, BDK's namespace, the issuer and the controller. */
function libraryEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    KUBECONFIG: kube.kubeconfigPath,
    BDK_NAMESPACE: bdkNamespace,
    BDK_MODEL_MANAGER_URL: modelManager.url,
    BDK_CONTROLLER_URL: `http://127.0.0.1:${controller.grpcPort}`,
    BDK_WEBHOOK_PUBLIC_URL: 'https://bdk.example.com',
    ...identity.env.library,
    ...overrides,
  };
}

beforeAll(async () => {
  kube = await startKubeEnv();
  started.push(kube);
  core = kube.kubeConfig.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: bdkNamespace } } });
  const identityDir = await mkdtemp(path.join(os.tmpdir(), 'bdk-identity-'));
  started.push({ stop: () => rm(identityDir, { recursive: true, force: true }) });
  identity = await setUpPlatformIdentity(kube.kubeConfig, { directory: identityDir, namespace: bdkNamespace });
  modelManager = await startFakeModelManager();
  started.push({ stop: () => modelManager.close() });
  controller = await startApp('book-controller', { KUBECONFIG: kube.kubeconfigPath, BDK_NAMESPACE: bdkNamespace, ...identity.env.controller });
  started.push(controller);
  app = await startApp('library-service', libraryEnv());
  started.push(app);
  library = clientWith(await identity.token({ organizationId: organization, admin: true }));
}, 180_000);

afterAll(async () => {
  for (const component of started.reverse()) await component.stop();
});

const resources = () => bdkResources(kube.kubeConfig);

async function grpcError(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error('expected the call to fail');
}

async function createSeedBook(overrides: Partial<typeof seedBook> = {}) {
  return library.createBook(fromJson(CreateBookRequestSchema, { ...seedBook, ...overrides }));
}

describe('CreateBook, GetBook and ListBooks', () => {
  let bookId = '';

  it("stores the spec's book with the Model Manager's prompts and answers its id and creation time", async () => {
    const before = Date.now() - 1_000;
    const answer = await createSeedBook();
    bookId = answer.bookId;
    expect(answer).toMatchObject({ name: 'customer-support', version: '1.0.0' });
    expect(answer.bookId).toMatch(uuidPattern);
    expect(answer.createdAt && timestampDate(answer.createdAt).getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(modelManager.calls).toContainEqual({ bookName: 'customer-support', bookVersion: '1.0.0' });

    const stored = await resources().books.get(bdkNamespace, 'customer-support-1-0-0');
    expect(stored.metadata.labels).toMatchObject({ [bdkLabels.bookId]: bookId, [bdkLabels.bookName]: 'customer-support', [bdkLabels.managedBy]: 'bdk' });
    expect(stored.spec).toMatchObject({ ...seedBook, prompts: seedPrompts });
    expect(String(stored.metadata.creationTimestamp)).toBe(answer.createdAt && timestampDate(answer.createdAt).toISOString().replace('.000Z', 'Z'));
  });

  it('finds the book by its UUID, prompts included', async () => {
    const { book } = await library.getBook({ bookId });
    expect(book).toMatchObject({ bookId, name: 'customer-support', version: '1.0.0', description: 'Customer support automation' });
    expect(book?.prompts.map((prompt) => prompt.name)).toEqual(['triage', 'reply']);
    expect(book?.schema?.inputs[0]).toMatchObject({ name: 'customer_id', type: 'string', required: true });
  });

  it('lists books page by page and by name', async () => {
    await createSeedBook({ version: '1.1.0' });
    await createSeedBook({ name: 'billing', version: '2.0.0' });
    const first = await library.listBooks({ pageSize: 2 });
    expect(first.books).toHaveLength(2);
    expect(first.nextPageToken).not.toBe('');
    const second = await library.listBooks({ pageSize: 2, pageToken: first.nextPageToken });
    expect(second.nextPageToken).toBe('');
    const all = [...first.books, ...second.books].map((book) => `${book.name}@${book.version}`);
    expect(all.sort()).toEqual(['billing@2.0.0', 'customer-support@1.0.0', 'customer-support@1.1.0']);
    const named = await library.listBooks({ name: 'customer-support' });
    expect(named.books.map((book) => book.version).sort()).toEqual(['1.0.0', '1.1.0']);
  });

  it('answers ALREADY_EXISTS for a book version that exists', async () => {
    const error = await grpcError(createSeedBook());
    expect(error.code).toBe(Code.AlreadyExists);
    expect(error.rawMessage).toMatch(/^book customer-support version 1\.0\.0 already exists/);
  });

  it('answers NOT_FOUND for an unknown id and INVALID_ARGUMENT naming the field for bad input', async () => {
    const missing = await grpcError(library.getBook({ bookId: '00000000-0000-4000-8000-000000000000' }));
    expect([missing.code, missing.rawMessage]).toEqual([Code.NotFound, 'book 00000000-0000-4000-8000-000000000000 not found']);
    const invalid = await grpcError(createSeedBook({ name: 'Customer Support' }));
    expect(invalid.code).toBe(Code.InvalidArgument);
    expect(invalid.rawMessage).toMatch(/^name: must be a DNS label/);
    const badVersion = await grpcError(createSeedBook({ version: 'v1' }));
    expect(badVersion.rawMessage).toMatch(/^version: must be a semantic version/);
  });
});

describe('CreateBookInstance and the instance reads', () => {
  let bookId = '';
  let instanceId = '';

  beforeAll(async () => {
    ({ bookId } = await createSeedBook({ name: 'instance-book' }));
  });

  it("creates the spec's instance: the value in a Secret in the customer namespace, references in the CR", async () => {
    const answer = await library.createBookInstance(fromJson(CreateBookInstanceRequestSchema, { ...seedInstance, book_id: bookId }));
    instanceId = answer.instanceId;
    expect(answer).toMatchObject({ bookId, customerNamespace: 'customer-acme', status: 'Pending' });
    expect(instanceId).toMatch(uuidPattern);

    const secrets = await core.listNamespacedSecret({
      namespace: 'customer-acme',
      labelSelector: labelSelector({ [bdkLabels.instanceId]: instanceId, [bdkLabels.secretPurpose]: 'credentials' }),
    });
    expect(secrets.items).toHaveLength(1);
    const secret = secrets.items[0];
    expect(secret?.type).toBe('Opaque');
    // The controller created the namespace for the caller's organisation.
    expect((await core.readNamespace({ name: 'customer-acme' })).metadata?.labels?.[bdkLabels.organizationId]).toBe(organization);
    expect(Buffer.from(secret?.data?.['zendesk_api_key'] ?? '', 'base64').toString()).toBe('encrypted_api_key');
    expect(secret?.metadata?.labels).toMatchObject({ [bdkLabels.bookId]: bookId, [bdkLabels.managedBy]: 'bdk' });

    const { items } = await resources().instances.list(bdkNamespace, { labelSelector: labelSelector({ [bdkLabels.instanceId]: instanceId }) });
    expect(items).toHaveLength(1);
    const cr = items[0];
    expect(secret?.metadata?.annotations?.[bdkAnnotations.instanceRef]).toBe(`${bdkNamespace}/${cr?.metadata.name}`);
    expect(cr?.metadata.labels).toMatchObject({ [bdkLabels.bookId]: bookId });
    expect(cr?.spec).toMatchObject({
      bookRef: { name: 'instance-book-1-0-0', version: '1.0.0' },
      customer: { namespace: 'customer-acme', organization_id: 'org-uuid-123' },
      deployment: { type: 'primary', replicas: 2 },
      networking: { tailscale: { enabled: true, tailnet: 'acme-corp' } },
      credentials: [{ name: 'zendesk_api_key', type: 'secret', source: 'external', secretRef: { name: secret?.metadata?.name, key: 'zendesk_api_key' } }],
    });
    expect(JSON.stringify(cr)).not.toContain('encrypted_api_key');
  });

  it('finds the instance by its UUID and lists it, with credentials as references only', async () => {
    const { instance } = await library.getBookInstance({ bookId, instanceId });
    expect(instance).toMatchObject({ instanceId, bookId, customerNamespace: 'customer-acme', status: { phase: 'Pending' } });
    expect(instance?.bookRef).toMatchObject({ name: 'instance-book', version: '1.0.0' });
    expect(instance?.credentials[0]?.secretRef?.key).toBe('zendesk_api_key');
    const listed = await library.listBookInstances({ bookId });
    expect(listed.instances.map((item) => item.instanceId)).toEqual([instanceId]);
    expect((await library.listBookInstances({ bookId, customerNamespace: 'customer-other' })).instances).toEqual([]);
  });

  it('rotates a credential into the Secret without echoing the value', async () => {
    const answer = await library.rotateInstanceCredentials({ bookId, instanceId, credentials: [{ name: 'zendesk_api_key', value: 'rotated-value' }] });
    expect(answer.rotated).toEqual(['zendesk_api_key']);
    expect(toJsonString(RotateInstanceCredentialsResponseSchema, answer)).not.toContain('rotated-value');
    const secrets = await core.listNamespacedSecret({
      namespace: 'customer-acme',
      labelSelector: labelSelector({ [bdkLabels.instanceId]: instanceId, [bdkLabels.secretPurpose]: 'credentials' }),
    });
    expect(Buffer.from(secrets.items[0]?.data?.['zendesk_api_key'] ?? '', 'base64').toString()).toBe('rotated-value');
  });

  it('answers NOT_FOUND for an unknown book or instance, INVALID_ARGUMENT naming the field for bad input', async () => {
    const noBook = await grpcError(library.createBookInstance(fromJson(CreateBookInstanceRequestSchema, { ...seedInstance, book_id: '00000000-0000-4000-8000-000000000000' })));
    expect(noBook.code).toBe(Code.NotFound);
    const noInstance = await grpcError(library.getBookInstance({ bookId, instanceId: '00000000-0000-4000-8000-000000000000' }));
    expect(noInstance.code).toBe(Code.NotFound);
    const noValue = await grpcError(
      library.createBookInstance(fromJson(CreateBookInstanceRequestSchema, { ...seedInstance, book_id: bookId, credentials: [{ name: 'zendesk_api_key' }] })),
    );
    expect([noValue.code, noValue.rawMessage]).toEqual([Code.InvalidArgument, 'credentials[0].value: is required']);
    const noTailnet = await grpcError(
      library.createBookInstance(fromJson(CreateBookInstanceRequestSchema, { ...seedInstance, book_id: bookId, networking: { tailscale: { enabled: true } } })),
    );
    expect(noTailnet.rawMessage).toBe('networking.tailscale.tailnet: is required');
  });

  it('refuses to delete a book while it has instances, then deletes instance and book', async () => {
    const refused = await grpcError(library.deleteBook({ bookId }));
    expect(refused.code).toBe(Code.FailedPrecondition);
    await library.deleteBookInstance({ bookId, instanceId });
    // The controller's finalizer removes what was deployed first; then the instance is gone.
    await waitUntil('the instance to be gone', async () => (await grpcError(library.getBookInstance({ bookId, instanceId }))).code === Code.NotFound, {
      timeoutMs: 30_000,
      intervalMs: 250,
    });
    await library.deleteBook({ bookId });
    expect((await grpcError(library.getBook({ bookId }))).code).toBe(Code.NotFound);
  });
});

describe('two organisations', () => {
  let bookId = '';
  let ours = '';
  let globex: Client<typeof BookLibraryService>;

  beforeAll(async () => {
    ({ bookId } = await createSeedBook({ name: 'tenant-book' }));
    ({ instanceId: ours } = await library.createBookInstance(fromJson(CreateBookInstanceRequestSchema, { ...seedInstance, book_id: bookId, customer_namespace: 'customer-tenant-a' })));
    globex = clientWith(await identity.token({ organizationId: 'org-globex' }));
  });

  it("answers another organisation's instance NOT_FOUND, as if it did not exist, for reads and changes", async () => {
    for (const call of [
      globex.getBookInstance({ bookId, instanceId: ours }),
      globex.deleteBookInstance({ bookId, instanceId: ours }),
      globex.rotateInstanceCredentials({ bookId, instanceId: ours, credentials: [{ name: 'zendesk_api_key', value: 'stolen' }] }),
      globex.rotateWebhookSecret({ bookId, instanceId: ours, source: 'zendesk' }),
    ]) {
      expect((await grpcError(call)).code).toBe(Code.NotFound);
    }
    expect((await globex.listBookInstances({ bookId })).instances).toEqual([]);
    // Still there, untouched.
    expect((await library.getBookInstance({ bookId, instanceId: ours })).instance?.instanceId).toBe(ours);
  });

  it("refuses another organisation's namespace and name with PERMISSION_DENIED", async () => {
    const intoTheirs = await grpcError(globex.createBookInstance(fromJson(CreateBookInstanceRequestSchema, { ...seedInstance, book_id: bookId, customer_namespace: 'customer-tenant-a', organization_id: '' })));
    expect([intoTheirs.code, intoTheirs.rawMessage]).toEqual([Code.PermissionDenied, 'customer_namespace: namespace customer-tenant-a belongs to another organisation']);
    const asThem = await grpcError(globex.createBookInstance(fromJson(CreateBookInstanceRequestSchema, { ...seedInstance, book_id: bookId, customer_namespace: 'customer-globex' })));
    expect(asThem.code).toBe(Code.PermissionDenied);
    await core.createNamespace({ body: { metadata: { name: 'team-not-bdk' } } });
    const foreign = await grpcError(globex.createBookInstance(fromJson(CreateBookInstanceRequestSchema, { ...seedInstance, book_id: bookId, customer_namespace: 'team-not-bdk', organization_id: '' })));
    expect(foreign.code).toBe(Code.PermissionDenied);
    const system = await grpcError(globex.createBookInstance(fromJson(CreateBookInstanceRequestSchema, { ...seedInstance, book_id: bookId, customer_namespace: 'kube-system', organization_id: '' })));
    expect([system.code, system.rawMessage.startsWith('customer_namespace: ')]).toEqual([Code.InvalidArgument, true]);
    expect(await core.listNamespacedSecret({ namespace: 'team-not-bdk' }).then((list) => list.items.filter((item) => item.metadata?.labels?.[bdkLabels.managedBy]))).toEqual([]);
  });

  it('answers UNAUTHENTICATED without a valid token and PERMISSION_DENIED without the permission', async () => {
    expect((await grpcError(clientWith(undefined).listBooks({}))).code).toBe(Code.Unauthenticated);
    const expired = await identity.token({ organizationId: organization, expiresInSeconds: -60 });
    expect((await grpcError(clientWith(expired).listBooks({}))).code).toBe(Code.Unauthenticated);
    // Publishing to the shared catalogue is a platform admin's; an organisation reads it.
    expect((await grpcError(globex.createBook(fromJson(CreateBookRequestSchema, { ...seedBook, name: 'not-allowed' })))).code).toBe(Code.PermissionDenied);
    expect((await globex.getBook({ bookId })).book?.bookId).toBe(bookId);
    const reader = clientWith(await identity.token({ organizationId: organization, permissions: ['books:read', 'instances:read'] }));
    expect((await grpcError(reader.deleteBookInstance({ bookId, instanceId: ours }))).code).toBe(Code.PermissionDenied);
  });

  it("gives each instance its own webhook signing secret, shown once, and rotates it", async () => {
    const created = await globex.createBookInstance(fromJson(CreateBookInstanceRequestSchema, { ...seedInstance, book_id: bookId, customer_namespace: 'customer-globex', organization_id: '' }));
    expect(created.webhooks).toEqual([]);
    const { bookId: hookedBook } = await createSeedBook({ name: 'hooked-book', integrations: [{ name: 'zendesk', type: 'webhook', config: { endpoint: '/webhooks/zendesk' } }] } as never);
    const hooked = await library.createBookInstance(fromJson(CreateBookInstanceRequestSchema, { ...seedInstance, book_id: hookedBook, customer_namespace: 'customer-tenant-a' }));
    const [webhook] = hooked.webhooks;
    expect(webhook).toMatchObject({ source: 'zendesk', scheme: 'zendesk', url: `https://bdk.example.com/api/v1/webhooks/zendesk/instances/${hooked.instanceId}` });
    expect(webhook?.signingSecret).toMatch(/^whsec_/);
    const read = await library.getBookInstance({ bookId: hookedBook, instanceId: hooked.instanceId });
    expect(toJsonString(GetBookInstanceResponseSchema, read)).not.toContain(webhook?.signingSecret ?? '-');
    const rotated = await library.rotateWebhookSecret({ bookId: hookedBook, instanceId: hooked.instanceId, source: 'zendesk', previousValidSeconds: 600 });
    expect(rotated.webhook?.signingSecret).toMatch(/^whsec_/);
    expect(rotated.webhook?.signingSecret).not.toBe(webhook?.signingSecret);
    expect(rotated.previousExpiresAt && timestampDate(rotated.previousExpiresAt).getTime()).toBeGreaterThan(Date.now() + 500_000);
    const signing = await core.listNamespacedSecret({
      namespace: 'customer-tenant-a',
      labelSelector: labelSelector({ [bdkLabels.instanceId]: hooked.instanceId, [bdkLabels.secretPurpose]: 'webhook-signing' }),
    });
    expect(signing.items).toHaveLength(1);
    // The values are the controller's to keep: no log line of this service carries them.
    expect(app.process.output()).not.toContain(webhook?.signingSecret ?? '-');
    expect(app.process.output()).not.toContain(rotated.webhook?.signingSecret ?? '-');
  });
});

describe('failures half-way', () => {
  it('writes no Secret when the apiserver refuses the instance CR', async () => {
    const { bookId } = await createSeedBook({ name: 'refused-book' });
    await refuseInstancesOfOrganization(kube.kubeConfig, bdkNamespace);
    const refusedCaller = clientWith(await identity.token({ organizationId: refusedOrganization }));
    const error = await grpcError(
      refusedCaller.createBookInstance(fromJson(CreateBookInstanceRequestSchema, { ...seedInstance, book_id: bookId, customer_namespace: 'customer-refused', organization_id: '' })),
    );
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain('refused by policy');
    const secrets = await core.listSecretForAllNamespaces({ labelSelector: labelSelector({ [bdkLabels.bookId]: bookId }) });
    expect(secrets.items).toEqual([]);
    const { items } = await resources().instances.list(bdkNamespace, { labelSelector: labelSelector({ [bdkLabels.bookId]: bookId }) });
    expect(items).toEqual([]);
  });

  it('answers UNAVAILABLE and leaves no instance behind when the controller cannot be reached', async () => {
    const { bookId } = await createSeedBook({ name: 'lonely-book' });
    const closedPort = await freePort();
    const orphan = await startApp('library-service', libraryEnv({ BDK_CONTROLLER_URL: `http://127.0.0.1:${closedPort}` }));
    started.push(orphan);
    const client = clientWith(await identity.token({ organizationId: organization }), orphan.grpcPort);
    const error = await grpcError(client.createBookInstance(fromJson(CreateBookInstanceRequestSchema, { ...seedInstance, book_id: bookId, customer_namespace: 'customer-tenant-a' })));
    expect(error.code).toBe(Code.Unavailable);
    const { items } = await resources().instances.list(bdkNamespace, { labelSelector: labelSelector({ [bdkLabels.bookId]: bookId }) });
    expect(items.filter((item) => !item.metadata.deletionTimestamp)).toEqual([]);
  });

  it('answers UNAVAILABLE and creates no BookDefinition when the Model Manager is down', async () => {
    const closedPort = await freePort();
    const orphan = await startApp('library-service', libraryEnv({ BDK_MODEL_MANAGER_URL: `http://127.0.0.1:${closedPort}` }));
    started.push(orphan);
    const client = clientWith(await identity.token({ admin: true }), orphan.grpcPort);
    const error = await grpcError(client.createBook(fromJson(CreateBookRequestSchema, { ...seedBook, name: 'unreachable-prompts' })));
    expect(error.code).toBe(Code.Unavailable);
    expect(error.rawMessage).toMatch(/^Model Manager unavailable/);
    expect(await resources().books.find(bdkNamespace, 'unreachable-prompts-1-0-0')).toBeUndefined();
  });
});

describe('a @grpc/grpc-js client', () => {
  let client: grpc.Client;
  let metadata: grpc.Metadata;
  beforeAll(async () => {
    client = new grpc.Client(`127.0.0.1:${app.grpcPort}`, grpc.credentials.createInsecure());
    metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${await identity.token({ admin: true })}`);
  });
  afterAll(() => client.close());

  function unary<I extends DescMessage, O extends DescMessage>(method: string, input: I, output: O, request: MessageShape<I>) {
    return new Promise<MessageShape<O>>((resolve, reject) => {
      client.makeUnaryRequest(
        `/bdk.v1.BookLibraryService/${method}`,
        (message: MessageShape<I>) => Buffer.from(toBinary(input, message)),
        (bytes: Buffer) => fromBinary(output, bytes),
        request,
        metadata,
        (error, response) => (error || !response ? reject(error ?? new Error('no response')) : resolve(response)),
      );
    });
  }

  it('creates and reads a book with the same answers', async () => {
    const created = await unary('CreateBook', CreateBookRequestSchema, CreateBookResponseSchema, fromJson(CreateBookRequestSchema, { ...seedBook, name: 'interop-book' }));
    expect(created).toMatchObject({ name: 'interop-book', version: '1.0.0' });
    expect(created.bookId).toMatch(uuidPattern);
    const read = await unary('GetBook', GetBookRequestSchema, GetBookResponseSchema, fromJson(GetBookRequestSchema, { book_id: created.bookId }));
    expect(read.book).toMatchObject({ bookId: created.bookId, name: 'interop-book', capabilities: ['ticket_creation', 'customer_lookup'] });
    expect(read.book?.createdAt).toEqual(created.createdAt);
  });

  it('is refused without a token, like every other client', async () => {
    const anonymous = new grpc.Client(`127.0.0.1:${app.grpcPort}`, grpc.credentials.createInsecure());
    const error = await new Promise<grpc.ServiceError>((resolve) =>
      anonymous.makeUnaryRequest(
        '/bdk.v1.BookLibraryService/ListBooks',
        () => Buffer.alloc(0),
        (bytes: Buffer) => bytes,
        {},
        (failure) => resolve(failure as grpc.ServiceError),
      ),
    );
    anonymous.close();
    expect(error.code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it('gets the gRPC status code and message of an error', async () => {
    const error = await unary('GetBook', GetBookRequestSchema, GetBookResponseSchema, fromJson(GetBookRequestSchema, { book_id: 'not-a-uuid' })).catch(
      (failure: unknown) => failure as grpc.ServiceError,
    );
    expect((error as grpc.ServiceError).code).toBe(grpc.status.INVALID_ARGUMENT);
    // connect-node percent-encodes grpc-message with encodeURIComponent; grpc-js decodes it with decodeURI, which
    // leaves reserved characters such as ':' and ',' encoded. The message itself arrives whole.
    expect(decodeURIComponent((error as grpc.ServiceError).details)).toBe('book_id: must be a UUID as returned on creation, got "not-a-uuid"');
  });
});
