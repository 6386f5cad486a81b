// Deleting a book that instances run, against a real kube-apiserver with the built library-service and
// book-controller: DeleteBook is refused naming the instances; a delete that bypasses the API (kubectl) leaves the
// book Terminating, its status naming the instance, until the instance is gone; and CreateBookInstance racing
// DeleteBook never leaves an instance whose book is gone.
import { fromJson } from '@bufbuild/protobuf';
import { Code, ConnectError, createClient, type Client, type Interceptor } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api } from '@kubernetes/client-node';
import { BookLibraryService, CreateBookInstanceRequestSchema, CreateBookRequestSchema } from '@bdk/proto';
import { bdkLabels, bdkResources, bookDefinitionResource, bookInUseFinalizer, labelSelector, type BdkResources, type BookDefinition } from '@bdk/k8s';
import { setUpPlatformIdentity, startApp, startKubeEnv, waitUntil, type KubeEnv } from '@bdk/testing';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { seedBook, startFakeModelManager } from './fixtures.js';

const bdkNamespace = 'bdk';
const organization = 'org-uuid-123';
let kube: KubeEnv;
let resources: BdkResources;
let library: Client<typeof BookLibraryService>;
const started: { stop(): Promise<unknown> }[] = [];

beforeAll(async () => {
  kube = await startKubeEnv();
  started.push(kube);
  resources = bdkResources(kube.kubeConfig);
  await kube.kubeConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: bdkNamespace } } });
  const identityDir = await mkdtemp(path.join(os.tmpdir(), 'bdk-identity-'));
  started.push({ stop: () => rm(identityDir, { recursive: true, force: true }) });
  const identity = await setUpPlatformIdentity(kube.kubeConfig, { directory: identityDir, namespace: bdkNamespace });
  const modelManager = await startFakeModelManager();
  started.push({ stop: () => modelManager.close() });
  const controller = await startApp('book-controller', { KUBECONFIG: kube.kubeconfigPath, BDK_NAMESPACE: bdkNamespace, BDK_LEADER_ELECTION: 'false', ...identity.env.controller });
  started.push(controller);
  const app = await startApp('library-service', {
    KUBECONFIG: kube.kubeconfigPath,
    BDK_NAMESPACE: bdkNamespace,
    BDK_MODEL_MANAGER_URL: modelManager.url,
    BDK_CONTROLLER_URL: `http://127.0.0.1:${controller.grpcPort}`,
    ...identity.env.library,
  });
  started.push(app);
  const token = await identity.token({ organizationId: organization, admin: true });
  const bearer: Interceptor = (next) => (request) => {
    request.header.set('authorization', `Bearer ${token}`);
    return next(request);
  };
  library = createClient(BookLibraryService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${app.grpcPort}`, interceptors: [bearer] }));
}, 180_000);

afterAll(async () => {
  for (const component of started.reverse()) await component.stop();
}, 60_000);

async function failure(call: Promise<unknown>): Promise<ConnectError | undefined> {
  try {
    await call;
    return undefined;
  } catch (error) {
    return ConnectError.from(error);
  }
}

/** A book with no integrations, so an instance of it needs no Secret: the create is one write. */
async function createBook(name: string) {
  return library.createBook(fromJson(CreateBookRequestSchema, { ...seedBook, name }));
}

function createInstance(bookId: string) {
  return library.createBookInstance(
    fromJson(CreateBookInstanceRequestSchema, { book_id: bookId, customer_namespace: 'customer-acme', organization_id: organization, deployment: { type: 'primary', replicas: 0 } }),
  );
}

const bookObject = (name: string) => resources.books.find(bdkNamespace, `${name}-1-0-0`);
const instancesOf = async (name: string) => (await resources.instances.list(bdkNamespace, { labelSelector: labelSelector({ [bdkLabels.bookName]: name }) })).items;

describe('a book that instances run', () => {
  it('cannot be deleted through the API: the refusal names the instance', async () => {
    const { bookId } = await createBook('held-book');
    const { instanceId } = await createInstance(bookId);
    const [instance] = await instancesOf('held-book');
    const refused = await failure(library.deleteBook({ bookId }));
    expect(refused?.code).toBe(Code.FailedPrecondition);
    expect(refused?.rawMessage).toBe(`book ${bookId} (held-book 1.0.0) still has instances: ${instanceId} (${instance?.metadata.name ?? ''}); delete them first`);
    expect((await bookObject('held-book'))?.metadata.deletionTimestamp).toBeUndefined();
  });

  it('deleted with kubectl, stays Terminating, its status naming the instance, until the instance is gone', async () => {
    const { bookId } = await createBook('kubectl-deleted');
    const { instanceId } = await createInstance(bookId);
    await resources.books.delete(bdkNamespace, 'kubectl-deleted-1-0-0');
    const held = await waitUntil('the book to say what holds it', async () => {
      const book = await bookObject('kubectl-deleted');
      return book?.status?.conditions?.some((c) => c.type === 'InUse' && c.status === 'True') ? book : undefined;
    });
    expect(held.metadata.deletionTimestamp).toBeDefined();
    expect(held.metadata.finalizers).toContain(bookInUseFinalizer);
    expect(held.status?.conditions?.find((c) => c.type === 'InUse')).toMatchObject({ reason: 'InstancesExist', message: expect.stringContaining(instanceId) });
    // A deleting book takes no new instance.
    expect((await failure(createInstance(bookId)))?.rawMessage).toMatch(/is being deleted; it takes no new instances$/);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await bookObject('kubectl-deleted')).toBeDefined();

    await library.deleteBookInstance({ bookId, instanceId });
    await waitUntil('the book to be gone', async () => (await bookObject('kubectl-deleted')) === undefined, { timeoutMs: 30_000 });
    expect(await instancesOf('kubectl-deleted')).toEqual([]);
  }, 60_000);

  it('applied with kubectl without the finalizer, gets it from the controller', async () => {
    const body: BookDefinition = {
      apiVersion: bookDefinitionResource.apiVersion,
      kind: bookDefinitionResource.kind,
      metadata: { name: 'applied-book', namespace: bdkNamespace },
      spec: { name: 'applied-book', version: '1.0.0' },
    };
    await resources.books.create(bdkNamespace, body);
    const book = await waitUntil('the finalizer', async () => {
      const current = await resources.books.find(bdkNamespace, 'applied-book');
      return current?.metadata.finalizers?.includes(bookInUseFinalizer) ? current : undefined;
    });
    expect(book.metadata.finalizers).toEqual([bookInUseFinalizer]);
  });

  it('racing CreateBookInstance against DeleteBook never leaves an instance whose book is gone', async () => {
    const rounds = 12;
    const outcomes = await Promise.all(
      Array.from({ length: rounds }, async (_, round) => {
        const name = `race-${round}`;
        const { bookId } = await createBook(name);
        // Staggered a little either way, so some rounds have the create first and some the delete.
        const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
        const [created, deleted] = await Promise.all([
          delay(round % 3).then(() => failure(createInstance(bookId))),
          delay((round * 7) % 4).then(() => failure(library.deleteBook({ bookId }))),
        ]);
        return { name, bookId, created: created === undefined, deleted: deleted === undefined, createError: created, deleteError: deleted };
      }),
    );
    for (const outcome of outcomes) {
      // Settled: both there, or the book gone and its instances with it (one undone by its create is deleting,
      // held a moment by its own finalizer). An instance that is not deleting while its book is gone never goes.
      const settled = await waitUntil(
        `${outcome.name} to settle`,
        async () => {
          const [book, instances] = await Promise.all([bookObject(outcome.name), instancesOf(outcome.name)]);
          const live = instances.filter((instance) => !instance.metadata.deletionTimestamp);
          if (book === undefined) return instances.length === 0 || live.length > 0 ? { book, instances: live } : undefined;
          return live.length > 0 && live.length === instances.length ? { book, instances: live } : undefined;
        },
        { timeoutMs: 30_000 },
      );
      if (settled.book === undefined) {
        // The book went: no instance of it is left, and no create reported success.
        expect(settled.instances.map((instance) => instance.metadata.name)).toEqual([]);
        expect([outcome.name, outcome.created]).toEqual([outcome.name, false]);
        expect(outcome.createError?.code).toBe(Code.FailedPrecondition);
      } else {
        // An instance runs it: it was reported created, and the book (held, perhaps Terminating) stays.
        expect([outcome.name, outcome.created]).toEqual([outcome.name, true]);
        expect(settled.instances).toHaveLength(1);
        if (!outcome.deleted) expect(outcome.deleteError?.code).toBe(Code.FailedPrecondition);
      }
    }
  }, 120_000);
});
