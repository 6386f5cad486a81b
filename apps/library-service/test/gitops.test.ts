// GitOps as a first-class path: the kustomize example in examples/gitops applied with `kubectl apply
// --server-side -k` (as a GitOps tool applies it, under its own field manager) to a real kube-apiserver, then read
// through the REST API (the real Envoy sidecar in front of the built library-service, the built book-controller
// reconciling) with bearer tokens; the published version's immutability as the apiserver enforces it; deprecating
// and withdrawing a version from the repository.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api } from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { bdkLabels } from '@bdk/k8s';
import {
  setUpPlatformIdentity,
  startApp,
  startEnvoy,
  startKubeEnv,
  toolPath,
  waitUntil,
  workspaceRoot,
  type KubeEnv,
  type PlatformIdentity,
} from '@bdk/testing';

const execFileAsync = promisify(execFile);
// The namespace the spec's examples name: BDK runs in it here.
const bdkNamespace = 'bdk';
const overlay = path.join(workspaceRoot, 'examples', 'gitops', 'overlays', 'acme');
/** The field manager a GitOps tool applies with (Flux's kustomize-controller, Argo CD's argocd-controller). */
const gitopsManager = 'gitops';
/** The organisation the acme overlay gives the instance. */
const acme = 'org-acme';
const immutable = 'a published book version is immutable; publish a new version as a new BookDefinition';

let kube: KubeEnv;
let identity: PlatformIdentity;
let gatewayUrl = '';
let work = '';
const started: { stop(): Promise<unknown> }[] = [];
const tokens = { acme: '', other: '', admin: '' };

beforeAll(async () => {
  kube = await startKubeEnv();
  started.push(kube);
  await kube.kubeConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: bdkNamespace } } });
  work = await mkdtemp(path.join(os.tmpdir(), 'bdk-gitops-'));
  started.push({ stop: () => rm(work, { recursive: true, force: true }) });
  identity = await setUpPlatformIdentity(kube.kubeConfig, { directory: path.join(work, 'identity'), namespace: bdkNamespace });
  tokens.acme = await identity.token({ organizationId: acme });
  tokens.other = await identity.token({ organizationId: 'org-globex' });
  tokens.admin = await identity.token({ organizationId: 'org-platform', admin: true });
  const controller = await startApp('book-controller', { KUBECONFIG: kube.kubeconfigPath, BDK_NAMESPACE: bdkNamespace, ...identity.env.controller });
  started.push(controller);
  const app = await startApp('library-service', {
    KUBECONFIG: kube.kubeconfigPath,
    BDK_NAMESPACE: bdkNamespace,
    BDK_CONTROLLER_URL: `http://127.0.0.1:${controller.grpcPort}`,
    ...identity.env.library,
  });
  started.push(app);
  const envoy = await startEnvoy({ config: 'envoy/sidecar.yaml', upstreams: { app_grpc: app.grpcPort } });
  started.push(envoy);
  gatewayUrl = envoy.url;
}, 180_000);

afterAll(async () => {
  for (const component of started.reverse()) await component.stop();
});

/** kubectl against the test cluster; never throws, so a refusal can be read. */
async function kubectl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(toolPath('kubectl'), [`--kubeconfig=${kube.kubeconfigPath}`, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** What a GitOps tool does on every sync: a server-side apply of the kustomization under its field manager. */
const sync = (kustomization: string) => kubectl('apply', '--server-side', `--field-manager=${gitopsManager}`, '-k', kustomization);

/**
 * A kustomization on top of the acme overlay with one more patch of the BookDefinition, as a commit to the
 * repository would change it.
 */
async function overlayWith(name: string, patch: object): Promise<string> {
  const directory = path.join(work, name);
  await rm(directory, { recursive: true, force: true });
  await execFileAsync('mkdir', ['-p', directory]);
  const book = { apiVersion: 'bdk.voyager.io/v1', kind: 'BookDefinition', metadata: { name: 'customer-support-book', namespace: bdkNamespace }, ...patch };
  // kustomize takes a base by relative path only.
  const kustomization = { resources: [path.relative(directory, overlay)], patches: [{ patch: JSON.stringify(book) }] };
  await writeFile(path.join(directory, 'kustomization.yaml'), JSON.stringify(kustomization));
  return directory;
}

interface ManagedFieldsEntry {
  manager: string;
  operation: string;
  fieldsV1: Record<string, Record<string, Record<string, unknown>>>;
}

interface Stored {
  metadata: { uid: string; labels?: Record<string, string>; managedFields: ManagedFieldsEntry[] };
}

async function stored(kind: string, name: string): Promise<Stored> {
  const { code, stdout, stderr } = await kubectl('get', kind, name, '-n', bdkNamespace, '-o', 'json', '--show-managed-fields');
  if (code !== 0) throw new Error(`kubectl get ${kind} ${name}: ${stderr}`);
  return JSON.parse(stdout) as Stored;
}

interface BookJson {
  book_id: string;
  description: string;
  integrations: { name: string }[];
  lifecycle?: { state: string; message?: string };
}

interface InstanceJson {
  instance_id: string;
  status?: { conditions?: { type: string; status: string }[] };
}

/** The REST answers read here, errors included. */
interface Answer {
  book?: BookJson;
  books?: BookJson[];
  instance?: InstanceJson;
  instances?: InstanceJson[];
  code?: number;
  message?: string;
}

async function rest(method: string, route: string, token: string, body?: unknown) {
  const response = await fetch(`${gatewayUrl}${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, json: JSON.parse(await response.text()) as Answer };
}

describe('the GitOps example repository (examples/gitops)', () => {
  let bookId = '';
  let instanceId = '';

  it("holds the spec's two examples unchanged in its base", async () => {
    for (const file of ['book-definition.yaml', 'book-instance-definition.yaml']) {
      const base = await readFile(path.join(workspaceRoot, 'examples', 'gitops', 'base', file), 'utf8');
      expect(base).toBe(await readFile(path.join(workspaceRoot, 'charts', 'bdk', 'examples', file), 'utf8'));
    }
  });

  it('applies with kubectl apply --server-side -k', async () => {
    const applied = await sync(overlay);
    expect(applied).toMatchObject({ code: 0, stderr: '' });
    expect(applied.stdout).toContain('bookdefinition.bdk.voyager.io/customer-support-book serverside-applied');
    expect(applied.stdout).toContain('bookinstancedefinition.bdk.voyager.io/acme-customer-support serverside-applied');
    bookId = (await stored('bookdefinition', 'customer-support-book')).metadata.uid;
    instanceId = (await stored('bookinstancedefinition', 'acme-customer-support')).metadata.uid;
  });

  it('is served as a book whose id is its uid, found by id and listed', async () => {
    const read = await rest('GET', `/api/v1/books/${bookId}`, tokens.acme);
    expect(read.status).toBe(200);
    expect(read.json.book).toMatchObject({ book_id: bookId, name: 'customer-support', version: '1.0.0', description: 'Customer support automation book' });
    expect(read.json.book?.integrations.map((integration) => integration.name)).toEqual(['zendesk', 'slack']);
    const listed = await rest('GET', '/api/v1/books', tokens.other);
    expect(listed.json.books?.map((book) => book.book_id)).toContain(bookId);
    // By name: the book-name label adoption gives it.
    await waitUntil('the book listed by name', async () => {
      const byName = await rest('GET', '/api/v1/books?name=customer-support', tokens.acme);
      return byName.json.books?.[0]?.book_id === bookId;
    });
  });

  it('is served as an instance of that book to the organisation its spec names, and to no other', async () => {
    const route = `/api/v1/books/${bookId}/instances/${instanceId}`;
    await waitUntil('the instance served by id', async () => (await rest('GET', route, tokens.acme)).status === 200);
    const read = await rest('GET', route, tokens.acme);
    expect(read.json.instance).toMatchObject({
      instance_id: instanceId,
      book_id: bookId,
      customer_namespace: 'acme-support',
      organization_id: acme,
      deployment: { type: 'primary', replicas: 2 },
    });
    const listed = await rest('GET', `/api/v1/books/${bookId}/instances`, tokens.acme);
    expect(listed.json.instances?.map((instance) => instance.instance_id)).toEqual([instanceId]);

    const other = await rest('GET', route, tokens.other);
    expect([other.status, other.json.code]).toEqual([404, 5]);
    expect((await rest('GET', `/api/v1/books/${bookId}/instances`, tokens.other)).json.instances ?? []).toEqual([]);
  });

  it('is reconciled by the controller like an instance the API made, and its status is served', async () => {
    const route = `/api/v1/books/${bookId}/instances/${instanceId}`;
    await waitUntil('the controller to resolve the book', async () => {
      const conditions = (await rest('GET', route, tokens.acme)).json.instance?.status?.conditions ?? [];
      return conditions.some((condition: { type: string; status: string }) => condition.type === 'BookResolved' && condition.status === 'True');
    });
    const namespace = await kube.kubeConfig.makeApiClient(CoreV1Api).readNamespace({ name: 'acme-support' });
    expect(namespace.metadata?.labels?.[bdkLabels.organizationId]).toBe(acme);
  });

  it("keeps the tool's fields and the API's labels apart, so applying again never conflicts", async () => {
    for (const [kind, name, labels] of [
      ['bookdefinition', 'customer-support-book', [bdkLabels.bookId, bdkLabels.bookName]],
      ['bookinstancedefinition', 'acme-customer-support', [bdkLabels.instanceId, bdkLabels.bookId, bdkLabels.bookName, bdkLabels.customerNamespace, bdkLabels.organizationId]],
    ] as const) {
      const object = await stored(kind, name);
      const gitops = object.metadata.managedFields.find((entry) => entry.manager === gitopsManager);
      const api = object.metadata.managedFields.find((entry) => entry.manager === 'bdk-library-service');
      expect(gitops?.operation).toBe('Apply');
      expect(Object.keys(gitops?.fieldsV1 ?? {})).toEqual(['f:spec']);
      expect(api?.operation).toBe('Update');
      expect(Object.keys(api?.fieldsV1 ?? {})).toEqual(['f:metadata']);
      const apiLabels = Object.keys(api?.fieldsV1['f:metadata']?.['f:labels'] ?? {}).filter((key) => key.startsWith('f:'));
      expect(apiLabels.sort()).toEqual(labels.map((label) => `f:${label}`).sort());
    }
    const again = await sync(overlay);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('bookinstancedefinition.bdk.voyager.io/acme-customer-support serverside-applied');
    const instance = await stored('bookinstancedefinition', 'acme-customer-support');
    expect(instance.metadata.labels).toMatchObject({ [bdkLabels.instanceId]: instanceId, [bdkLabels.organizationId]: acme });
  });

  it('refuses an in-place edit of the published version, with the message naming the fix', async () => {
    const edited = await sync(await overlayWith('edited', { spec: { description: 'Customer support automation book, now better' } }));
    expect(edited.code).not.toBe(0);
    expect(edited.stderr).toContain('spec.description');
    expect(edited.stderr).toContain(immutable);
    const read = await rest('GET', `/api/v1/books/${bookId}`, tokens.acme);
    expect(read.json.book?.description).toBe('Customer support automation book');
  });

  it('refuses deleting the book through the API: its repository would apply it again', async () => {
    const deleted = await rest('DELETE', `/api/v1/books/${bookId}`, tokens.admin);
    expect([deleted.status, deleted.json.code]).toEqual([400, 9]);
    expect(deleted.json.message).toContain('applied without the API');
    expect((await stored('bookdefinition', 'customer-support-book')).metadata.uid).toBe(bookId);
  });

  describe('a version deprecated, then withdrawn, in the repository', () => {
    const newInstance = { customer_namespace: 'acme-api', deployment: { type: 'primary', replicas: 1 } };

    it('creates new instances of a deprecated version with a warning', async () => {
      const deprecated = await sync(await overlayWith('deprecated', { spec: { lifecycle: { state: 'deprecated', message: 'use customer-support 2.0.0' } } }));
      expect(deprecated.code).toBe(0);
      await waitUntil('the book served as deprecated', async () => (await rest('GET', `/api/v1/books/${bookId}`, tokens.acme)).json.book?.lifecycle?.state === 'deprecated');
      expect((await rest('GET', `/api/v1/books/${bookId}`, tokens.acme)).json.book?.lifecycle).toEqual({ state: 'deprecated', message: 'use customer-support 2.0.0' });

      const created = await rest('POST', `/api/v1/books/${bookId}/instances`, tokens.acme, newInstance);
      expect(created.status).toBe(201);
      expect(created.headers.get('warning')).toBe('299 - "book customer-support version 1.0.0 is deprecated: use customer-support 2.0.0"');
    });

    it('refuses new instances of a withdrawn version, naming it; running ones stay', async () => {
      expect((await sync(await overlayWith('withdrawn', { spec: { lifecycle: { state: 'withdrawn' } } }))).code).toBe(0);
      await waitUntil('the book served as withdrawn', async () => (await rest('GET', `/api/v1/books/${bookId}`, tokens.acme)).json.book?.lifecycle?.state === 'withdrawn');
      const refused = await rest('POST', `/api/v1/books/${bookId}/instances`, tokens.acme, { ...newInstance, customer_namespace: 'acme-api-2' });
      expect([refused.status, refused.json.code]).toEqual([400, 9]);
      expect(refused.json.message).toBe('book customer-support version 1.0.0 is withdrawn; it takes no new instances');
      expect((await rest('GET', `/api/v1/books/${bookId}/instances/${instanceId}`, tokens.acme)).status).toBe(200);
    });
  });
});
