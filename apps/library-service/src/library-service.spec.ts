// The handlers without a server (connect's createHandlerContext) and without an apiserver: fakes record what
// would have been written. The real apiserver, Envoy and Model Manager are in test/.
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, createContextValues, createHandlerContext, type HandlerContext } from '@connectrpc/connect';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { ApiException } from '@kubernetes/client-node';
import { organizationPermissions, principalKey, type Principal } from '@bdk/auth';
import { BookLibraryService, CreateBookInstanceRequestSchema, CreateBookRequestSchema, PromptSchema, type StoreInstanceSecretsRequest } from '@bdk/proto';
import { bdkLabels, type BookDefinition, type BookInstanceDefinition, type CustomResourceClient } from '@bdk/k8s';
import { createLogger } from '@bdk/service-runtime';
import { createLibraryService, type LibraryDeps } from './library-service.js';

const bookId = '3f0e7a52-7d0c-4bde-9a3c-1f1b2d8c9e01';
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface Recorded {
  books: BookDefinition[];
  instances: BookInstanceDefinition[];
  /** What was handed to the book controller. */
  stored: StoreInstanceSecretsRequest[];
  deletedInstances: string[];
  promptCalls: string[];
  logs: string[];
}

function fakeClient<T extends { metadata: { name?: string; labels?: Record<string, string> } }>(
  stored: T[],
  failCreate: () => unknown,
  onDelete: (name: string) => void = () => undefined,
): CustomResourceClient<T> {
  const matches = (item: T, selector = '') =>
    selector.split(',').filter(Boolean).every((term) => {
      const [key = '', value] = term.split(/!?=/);
      if (value === undefined) return key in (item.metadata.labels ?? {});
      return term.includes('!=') ? item.metadata.labels?.[key] !== value : item.metadata.labels?.[key] === value;
    });
  return {
    type: {} as CustomResourceClient<T>['type'],
    get: () => Promise.reject(new Error('unused')),
    find: (_ns, name) => Promise.resolve(stored.find((item) => item.metadata.name === name)),
    list: (_ns, options) => Promise.resolve({ items: stored.filter((item) => matches(item, options?.labelSelector)), metadata: {} }),
    create: (_ns, body) => {
      const failure = failCreate();
      if (failure) return Promise.reject(failure as Error);
      if (stored.some((item) => item.metadata.name === body.metadata.name)) return Promise.reject(new ApiException(409, 'exists', '{}', {}));
      const created = { ...body, metadata: { ...body.metadata, creationTimestamp: '2024-01-01T00:00:00Z' } } as T;
      stored.push(created);
      return Promise.resolve(created);
    },
    replace: () => Promise.reject(new Error('unused')),
    mergePatch: () => Promise.reject(new Error('unused')),
    mergePatchStatus: () => Promise.reject(new Error('unused')),
    delete: (_ns, name) => {
      onDelete(name);
      return Promise.resolve();
    },
  };
}

let recorded: Recorded;
let failInstanceCreate: unknown;
let promptFailure: ConnectError | undefined;
let controllerFailure: ConnectError | undefined;

function deps(): LibraryDeps {
  return {
    namespace: 'bdk',
    resources: {
      books: fakeClient(recorded.books, () => undefined),
      instances: fakeClient(recorded.instances, () => failInstanceCreate, (name) => recorded.deletedInstances.push(name)),
    },
    namespaces: {
      readNamespace: () => Promise.reject(new ApiException(404, 'not found', '{}', {})),
    },
    controller: {
      storeInstanceSecrets: (request) => {
        if (controllerFailure) return Promise.reject(controllerFailure);
        recorded.stored.push(request as StoreInstanceSecretsRequest);
        return Promise.resolve({ written: [], previousExpiresAt: {} } as never);
      },
    },
    webhookPublicUrl: 'https://bdk.example.com',
    prompts: (name, version) => {
      recorded.promptCalls.push(`${name}@${version}`);
      if (promptFailure) return Promise.reject(promptFailure);
      return Promise.resolve([create(PromptSchema, { name: 'triage', template: 'Classify {{issue}}' })]);
    },
    logger: createLogger('library-service', { write: (line) => recorded.logs.push(line) }),
  };
}

const caller: Principal = {
  subject: 'alice',
  issuer: 'https://id.example.com',
  organizationId: 'org-uuid-123',
  permissions: new Set(organizationPermissions),
};

/** A handler context as the auth interceptor leaves it: the caller set. */
function context(method: 'createBook' | 'createBookInstance', principal: Principal = caller): HandlerContext {
  const contextValues = createContextValues();
  contextValues.set(principalKey, principal);
  return createHandlerContext({
    service: BookLibraryService,
    method: BookLibraryService.method[method],
    protocolName: 'grpc',
    requestMethod: 'POST',
    url: `http://127.0.0.1/bdk.v1.BookLibraryService/${method}`,
    contextValues,
  });
}

async function codeOf(promise: unknown): Promise<[Code, string]> {
  try {
    await promise;
  } catch (error) {
    const connectError = ConnectError.from(error);
    return [connectError.code, connectError.rawMessage];
  }
  throw new Error('expected an error');
}

beforeEach(() => {
  recorded = { books: [], instances: [], stored: [], deletedInstances: [], promptCalls: [], logs: [] };
  failInstanceCreate = undefined;
  promptFailure = undefined;
  controllerFailure = undefined;
});

describe('createBook', () => {
  it('stores the book with its prompts under a new UUID and asks the sidecar for 201', async () => {
    const ctx = context('createBook');
    const service = createLibraryService(deps());
    const answer = await service.createBook(create(CreateBookRequestSchema, { name: 'customer-support', version: '1.0.0' }), ctx);
    expect(answer).toMatchObject({ name: 'customer-support', version: '1.0.0' });
    expect(answer.bookId).toMatch(uuid);
    expect(ctx.responseHeader.get('x-bdk-http-status')).toBe('201');
    expect(recorded.promptCalls).toEqual(['customer-support@1.0.0']);
    expect(recorded.books).toHaveLength(1);
    expect(recorded.books[0]?.metadata).toMatchObject({
      name: 'customer-support-1-0-0',
      namespace: 'bdk',
      labels: { [bdkLabels.bookId]: answer.bookId, [bdkLabels.bookName]: 'customer-support', [bdkLabels.managedBy]: 'bdk' },
    });
    expect(recorded.books[0]?.spec.prompts).toEqual([{ name: 'triage', template: 'Classify {{issue}}' }]);
  });

  it('refuses an invalid request before calling the Model Manager or writing anything', async () => {
    const service = createLibraryService(deps());
    const [code, message] = await codeOf(service.createBook(create(CreateBookRequestSchema, { name: 'Customer Support', version: '1.0.0' }), context('createBook')));
    expect(code).toBe(Code.InvalidArgument);
    expect(message).toMatch(/^name: must be a DNS label/);
    expect(recorded.promptCalls).toEqual([]);
    expect(recorded.books).toEqual([]);
  });

  it('creates nothing when the Model Manager is unavailable', async () => {
    promptFailure = new ConnectError('Model Manager unavailable', Code.Unavailable);
    const service = createLibraryService(deps());
    const [code] = await codeOf(service.createBook(create(CreateBookRequestSchema, { name: 'customer-support', version: '1.0.0' }), context('createBook')));
    expect(code).toBe(Code.Unavailable);
    expect(recorded.books).toEqual([]);
  });

  it('answers ALREADY_EXISTS for the same name and version', async () => {
    const service = createLibraryService(deps());
    const request = create(CreateBookRequestSchema, { name: 'customer-support', version: '1.0.0' });
    await service.createBook(request, context('createBook'));
    const [code, message] = await codeOf(service.createBook(request, context('createBook')));
    expect(code).toBe(Code.AlreadyExists);
    expect(message).toMatch(/^book customer-support version 1\.0\.0 already exists/);
  });
});

describe('createBookInstance', () => {
  beforeEach(() => {
    recorded.books.push({
      apiVersion: 'bdk.voyager.io/v1',
      kind: 'BookDefinition',
      metadata: { name: 'customer-support-1-0-0', labels: { [bdkLabels.bookId]: bookId } },
      spec: { name: 'customer-support', version: '1.0.0', integrations: [{ name: 'zendesk', type: 'webhook', config: { endpoint: '/webhooks/zendesk' } }] },
    });
  });
  const seedInstance = {
    bookId,
    customerNamespace: 'customer-acme',
    organizationId: 'org-uuid-123',
    credentials: [
      { name: 'zendesk_api_key', value: 'encrypted_api_key' },
      { name: 'signing_key', source: 'generated' },
    ],
  };

  it('hands values to the controller, keeps only references in the CR and answers the webhooks with their secrets', async () => {
    const ctx = context('createBookInstance');
    const answer = await createLibraryService(deps()).createBookInstance(create(CreateBookInstanceRequestSchema, seedInstance), ctx);
    expect(answer).toMatchObject({ bookId, customerNamespace: 'customer-acme', status: 'Pending' });
    expect(ctx.responseHeader.get('x-bdk-http-status')).toBe('201');
    const [stored] = recorded.stored;
    expect(stored).toMatchObject({ organizationId: 'org-uuid-123', reason: 'create', instance: { namespace: 'bdk', name: recorded.instances[0]?.metadata.name } });
    expect(stored?.actor).toContain('alice');
    expect(stored?.credentials['zendesk_api_key']).toBe('encrypted_api_key');
    expect(stored?.credentials['signing_key']).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const webhook = answer.webhooks?.[0];
    expect(webhook).toMatchObject({ source: 'zendesk', scheme: 'zendesk', url: `https://bdk.example.com/api/v1/webhooks/zendesk/instances/${answer.instanceId}` });
    expect(stored?.webhookSecrets).toEqual([expect.objectContaining({ source: 'zendesk', secret: webhook?.signingSecret })]);
    expect(recorded.instances[0]?.metadata.labels?.[bdkLabels.organizationId]).toBe('org-uuid-123');
    const everythingStoredOrLogged = JSON.stringify(recorded.instances) + recorded.logs.join('\n');
    for (const secret of ['encrypted_api_key', stored?.credentials['signing_key'] ?? '-', webhook?.signingSecret ?? '-']) {
      expect(everythingStoredOrLogged).not.toContain(secret);
    }
  });

  it("uses the caller's organisation when the request names none, and refuses another one", async () => {
    const service = createLibraryService(deps());
    await service.createBookInstance(create(CreateBookInstanceRequestSchema, { ...seedInstance, organizationId: '' }), context('createBookInstance'));
    expect(recorded.instances[0]?.spec.customer.organization_id).toBe('org-uuid-123');
    const [code, message] = await codeOf(
      service.createBookInstance(create(CreateBookInstanceRequestSchema, { ...seedInstance, organizationId: 'org-other' }), context('createBookInstance')),
    );
    expect([code, message]).toEqual([Code.PermissionDenied, 'organization_id: the caller acts for organisation "org-uuid-123", not "org-other"']);
    expect(recorded.instances).toHaveLength(1);
  });

  it('refuses system namespaces and BDK\'s own, naming the field', async () => {
    for (const namespace of ['kube-system', 'default', 'bdk']) {
      const request = create(CreateBookInstanceRequestSchema, { ...seedInstance, customerNamespace: namespace });
      const [code, message] = await codeOf(createLibraryService(deps()).createBookInstance(request, context('createBookInstance')));
      expect([namespace, code, message.startsWith('customer_namespace: ')]).toEqual([namespace, Code.InvalidArgument, true]);
    }
    expect(recorded.instances).toEqual([]);
  });

  it('removes the CR when the controller cannot store the secrets', async () => {
    controllerFailure = new ConnectError('connect ECONNREFUSED', Code.Unavailable);
    const [code] = await codeOf(createLibraryService(deps()).createBookInstance(create(CreateBookInstanceRequestSchema, seedInstance), context('createBookInstance')));
    expect(code).toBe(Code.Unavailable);
    expect(recorded.deletedInstances).toEqual([recorded.instances[0]?.metadata.name]);
    // The write that never happened is in the audit trail, by name, with who asked.
    const audits = recorded.logs.map((line) => JSON.parse(line) as { msg: string; audit?: Record<string, unknown> }).filter((line) => line.msg === 'audit');
    expect(audits.map((line) => [line.audit?.['action'], line.audit?.['name'], line.audit?.['outcome']])).toEqual([
      ['credential.write', 'zendesk_api_key', 'error'],
      ['credential.write', 'signing_key', 'error'],
      ['webhook_secret.write', 'zendesk', 'error'],
    ]);
    expect(audits[0]?.audit?.['actor']).toContain('alice');
  });

  it('writes nothing when the CR cannot be created', async () => {
    failInstanceCreate = new ApiException(503, 'unavailable', '{"message":"etcd leader changed"}', {});
    const [code] = await codeOf(createLibraryService(deps()).createBookInstance(create(CreateBookInstanceRequestSchema, seedInstance), context('createBookInstance')));
    expect(code).toBe(Code.Unavailable);
    expect(recorded.stored).toEqual([]);
  });

  it('answers NOT_FOUND for an unknown book', async () => {
    const request = create(CreateBookInstanceRequestSchema, { ...seedInstance, bookId: '00000000-0000-4000-8000-000000000000' });
    const [code, message] = await codeOf(createLibraryService(deps()).createBookInstance(request, context('createBookInstance')));
    expect([code, message]).toEqual([Code.NotFound, 'book 00000000-0000-4000-8000-000000000000 not found']);
    expect(recorded.stored).toEqual([]);
  });
});
