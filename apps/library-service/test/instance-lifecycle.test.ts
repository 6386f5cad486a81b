// An instance's life after creation through the REST API (the real Envoy sidecar, the built library-service and
// book-controller, a cluster whose Deployments really roll out): PATCH with an update mask takes it through
// Updating back to Ready, a stale etag is refused with 409, replicas 0 is kept, a field that cannot change is
// refused naming it, and :suspend / :resume stop and restart its Pods. Another organisation cannot touch it.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { setNodesSchedulable, setUpPlatformIdentity, startApp, startEnvoy, startKubeEnv, waitUntil, type KubeEnv, type PlatformIdentity, type RunningEnvoy } from '@bdk/testing';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { seedBook, seedInstance, startFakeModelManager } from './fixtures.js';

let kube: KubeEnv;
let envoy: RunningEnvoy;
let identity: PlatformIdentity;
let token = '';
let otherToken = '';
const started: { stop(): Promise<unknown> }[] = [];

beforeAll(async () => {
  kube = await startKubeEnv({ workloads: true });
  started.push(kube);
  await kube.kubeConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: 'bdk' } } });
  const identityDir = await mkdtemp(path.join(os.tmpdir(), 'bdk-identity-'));
  started.push({ stop: () => rm(identityDir, { recursive: true, force: true }) });
  identity = await setUpPlatformIdentity(kube.kubeConfig, { directory: identityDir, namespace: 'bdk' });
  token = await identity.token({ organizationId: 'org-uuid-123', admin: true });
  otherToken = await identity.token({ organizationId: 'org-other' });
  const modelManager = await startFakeModelManager();
  started.push({ stop: () => modelManager.close() });
  const controller = await startApp('book-controller', { KUBECONFIG: kube.kubeconfigPath, BDK_NAMESPACE: 'bdk', BDK_LEADER_ELECTION: 'false', ...identity.env.controller });
  started.push(controller);
  const app = await startApp('library-service', {
    KUBECONFIG: kube.kubeconfigPath,
    BDK_NAMESPACE: 'bdk',
    BDK_MODEL_MANAGER_URL: modelManager.url,
    BDK_CONTROLLER_URL: `http://127.0.0.1:${controller.grpcPort}`,
    ...identity.env.library,
  });
  started.push(app);
  envoy = await startEnvoy({ config: 'envoy/sidecar.yaml', upstreams: { app_grpc: app.grpcPort } });
  started.push(envoy);
}, 180_000);

afterAll(async () => {
  for (const component of started.reverse()) await component.stop();
}, 60_000);

async function rest(method: string, path: string, body?: unknown, bearer: string = token) {
  const response = await fetch(`${envoy.url}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), authorization: `Bearer ${bearer}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, json: JSON.parse(await response.text()) as Record<string, unknown> };
}

type Instance = { status?: { phase?: string; deployment_status?: { ready_replicas?: number } }; etag?: string; suspended?: boolean; deployment?: Record<string, unknown> };

describe('an instance through its life over REST', () => {
  let instancePath = '';
  let deploymentName = '';
  const read = async () => (await rest('GET', instancePath)).json['instance'] as Instance;
  const phase = (wanted: string) => waitUntil(`phase ${wanted}`, async () => ((await read()).status?.phase === wanted ? read() : undefined), { timeoutMs: 60_000 });
  const deployment = () => kube.kubeConfig.makeApiClient(AppsV1Api).readNamespacedDeployment({ namespace: 'customer-acme', name: deploymentName });

  beforeAll(async () => {
    const book = await rest('POST', '/api/v1/books', seedBook);
    const bookId = String(book.json['book_id']);
    const created = await rest('POST', `/api/v1/books/${bookId}/instances`, seedInstance);
    expect(created.status).toBe(201);
    instancePath = `/api/v1/books/${bookId}/instances/${String(created.json['instance_id'])}`;
    deploymentName = `customer-support-${String(created.json['instance_id']).slice(0, 8)}`;
    await phase('Ready');
  }, 120_000);

  it('PATCH with an update mask changes replicas: Updating while the new Pod waits, then Ready with the new count', async () => {
    const before = await read();
    // No Node takes new Pods for a while, so the update is seen in progress.
    await setNodesSchedulable(kube.kubeConfig, kube.nodes, false);
    const patched = await rest('PATCH', `${instancePath}?update_mask=deployment.replicas`, { etag: before.etag, deployment: { replicas: 3 } });
    expect(patched.status).toBe(200);
    const instance = patched.json['instance'] as Instance;
    expect(instance.deployment).toMatchObject({ type: 'primary', replicas: 3 });
    // A new generation: a new etag, and the instance is Updating until the third Pod is Ready.
    expect(instance.etag).not.toBe(before.etag);
    await phase('Updating');
    await setNodesSchedulable(kube.kubeConfig, kube.nodes, true);
    const ready = await waitUntil('three ready replicas', async () => {
      const current = await read();
      return current.status?.phase === 'Ready' && current.status.deployment_status?.ready_replicas === 3 && current;
    });
    expect(ready.status?.deployment_status?.ready_replicas).toBe(3);
    expect((await deployment()).spec?.replicas).toBe(3);
  }, 90_000);

  it('refuses a stale etag with 409 and changes nothing', async () => {
    const current = await read();
    const stale = await rest('PATCH', `${instancePath}?update_mask=deployment.replicas`, { etag: 'W/"00000000-1"', deployment: { replicas: 1 } });
    expect(stale.status).toBe(409);
    expect(String(stale.json['message'])).toMatch(/etag .* is stale/);
    expect((await read()).etag).toBe(current.etag);
  });

  it('names the field it refuses: an unknown path, an immutable one, an invalid value', async () => {
    const unknown = await rest('PATCH', `${instancePath}?update_mask=deployment.replica`, { deployment: { replicas: 1 } });
    expect([unknown.status, String(unknown.json['message'])]).toEqual([400, expect.stringMatching(/^update_mask: "deployment\.replica" is not an updatable field/)]);
    const immutable = await rest('PATCH', `${instancePath}?update_mask=deployment.type`, { deployment: { type: 'shared' } });
    expect([immutable.status, String(immutable.json['message'])]).toEqual([400, expect.stringMatching(/^deployment\.type: cannot change/)]);
    const invalid = await rest('PATCH', `${instancePath}?update_mask=deployment.resources.cpu`, { deployment: { resources: { cpu: 'lots' } } });
    expect([invalid.status, String(invalid.json['message'])]).toEqual([400, expect.stringMatching(/^deployment\.resources\.cpu: must be a Kubernetes quantity/)]);
    // Another organisation's PATCH finds nothing to change.
    const foreign = await rest('PATCH', `${instancePath}?update_mask=deployment.replicas`, { deployment: { replicas: 5 } }, otherToken);
    expect(foreign.status).toBe(404);
    const missing = await rest('PATCH', instancePath, { deployment: { replicas: 1 } });
    expect([missing.status, String(missing.json['message'])]).toEqual([400, expect.stringMatching(/^update_mask: is required/)]);
  });

  it('keeps replicas: 0, Ready with no Pods', async () => {
    const patched = await rest('PATCH', `${instancePath}?update_mask=deployment.replicas`, { deployment: { replicas: 0 } });
    expect(patched.status).toBe(200);
    expect((patched.json['instance'] as Instance).deployment).toMatchObject({ replicas: 0 });
    await waitUntil('no replicas', async () => (await deployment()).status?.replicas === undefined || (await deployment()).status?.replicas === 0);
    expect((await phase('Ready')).status?.deployment_status?.ready_replicas).toBe(0);
    await rest('PATCH', `${instancePath}?update_mask=deployment.replicas`, { deployment: { replicas: 2 } });
    await waitUntil('two ready', async () => (await read()).status?.deployment_status?.ready_replicas === 2 && (await read()).status?.phase === 'Ready');
  }, 90_000);

  it(':suspend stops the Pods and :resume brings them back; another organisation gets 404', async () => {
    expect((await rest('POST', `${instancePath}:suspend`, {}, otherToken)).status).toBe(404);
    const suspended = await rest('POST', `${instancePath}:suspend`, {});
    expect(suspended.status).toBe(200);
    expect((suspended.json['instance'] as Instance).suspended).toBe(true);
    await phase('Suspended');
    expect((await deployment()).spec?.replicas).toBe(0);
    const resumed = await rest('POST', `${instancePath}:resume`, {});
    expect([resumed.status, (resumed.json['instance'] as Instance).suspended]).toEqual([200, false]);
    const ready = await phase('Ready');
    expect(ready.status?.deployment_status?.ready_replicas).toBe(2);
  }, 90_000);

  it('PATCH book_ref.version takes a semver range, naming the field when it refuses one; the status says what runs', async () => {
    const mask = `${instancePath}?update_mask=book_ref.version`;
    const invalid = await rest('PATCH', mask, { book_ref: { version: 'latest' } });
    expect([invalid.status, String(invalid.json['message'])]).toEqual([400, expect.stringMatching(/^book_ref\.version: must be a semantic version such as 1\.2\.0 or a semver range/)]);
    const unmatched = await rest('PATCH', mask, { book_ref: { version: '^9.0.0' } });
    expect([unmatched.status, unmatched.json['code'], String(unmatched.json['message'])]).toEqual([400, 9, 'book_ref.version: no published version of book customer-support matches ^9.0.0']);
    const patched = await rest('PATCH', mask, { book_ref: { version: '^1.0.0' } });
    expect(patched.status).toBe(200);
    expect((patched.json['instance'] as { book_ref?: unknown }).book_ref).toEqual({ name: 'customer-support', version: '^1.0.0' });
    const following = await waitUntil('the range resolved', async () => {
      const current = (await read()) as Instance & { status?: { resolved_version?: string; resolved_book?: string } };
      return current.status?.phase === 'Ready' && current.status.resolved_version === '1.0.0' ? current : undefined;
    });
    expect(following.status).toMatchObject({ resolved_version: '1.0.0', resolved_book: 'customer-support-1-0-0' });
  }, 90_000);
});
