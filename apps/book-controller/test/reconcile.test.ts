// The built book-controller against a real kube-apiserver: an instance becomes a Namespace, ConfigMap, Service,
// Deployment and ExternalBookDefinition in its customer namespace, reports Pending while its Pods cannot be scheduled
// (every fake Node cordoned) and Ready once they run (kube-controller-manager, kube-scheduler, kwok), writes nothing
// when nothing changed (even across a restart), follows a spec change, and cleans up on deletion. A namespace
// BDK may not use for the instance's organisation (not BDK's, another organisation's, reserved) gets nothing
// written into it, and the instance reports Failed.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  bdkAnnotations,
  bdkLabels,
  bdkResources,
  bookWorkloadName,
  credentialsSecretName,
  instanceCleanupFinalizer,
  managedByBdk,
  type BdkResources,
  type BookDefinition,
  type BookInstanceDefinition,
} from '@bdk/k8s';
import { setNodesSchedulable, startApp, startKubeEnv, waitForRollout, waitUntil, type KubeEnv, type RunningApp } from '@bdk/testing';
import { AppsV1Api, CoreV1Api, PatchStrategy, setHeaderOptions, type V1Deployment } from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import { credentialsSecret, customerNamespaceLabels, seedBook, seedInstance, seedOrganization } from './fixtures.js';

const bdkNamespace = 'bdk';
const customerNamespace = 'customer-acme';
const bookUrl = 'http://127.0.0.1:54321';

let env: KubeEnv | undefined;
let app: RunningApp | undefined;
let resources: BdkResources;
let core: CoreV1Api;
let apps: AppsV1Api;

const startController = () => startApp('book-controller', { KUBECONFIG: env?.kubeconfigPath ?? '', BDK_NAMESPACE: bdkNamespace, BDK_BOOK_URL_TEMPLATE: bookUrl });

beforeAll(async () => {
  env = await startKubeEnv({ workloads: true });
  // Book Pods stay Pending until a test lets them run (schedulable(true)), so every Pending state can be seen.
  await setNodesSchedulable(env.kubeConfig, env.nodes, false);
  resources = bdkResources(env.kubeConfig);
  core = env.kubeConfig.makeApiClient(CoreV1Api);
  apps = env.kubeConfig.makeApiClient(AppsV1Api);
  await core.createNamespace({ body: { metadata: { name: bdkNamespace } } });
  app = await startController();
}, 120_000);

afterAll(async () => {
  await app?.stop();
  await env?.stop();
}, 60_000);

function kube() {
  if (!env) throw new Error('the kube env did not start');
  return env.kubeConfig;
}

/** Lets book Pods be scheduled (and so run), or holds new ones Pending. */
const schedulable = (on: boolean) => setNodesSchedulable(kube(), env?.nodes ?? [], on);

/** Successful reconciles the running controller has counted, from its /metrics. */
async function reconcileCount(running: RunningApp): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${running.adminPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('bdk_controller_reconcile_total{') && l.includes('result="success"'));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('BookInstanceDefinition reconcile', () => {
  const instanceId = randomUUID();
  const bookId = randomUUID();
  let book: BookDefinition;
  let instance: BookInstanceDefinition;
  let workload: string;
  const instanceName = () => instance.metadata.name ?? '';
  const readInstance = () => resources.instances.get(bdkNamespace, instanceName());

  it('creates the namespace, ConfigMap, Service, Deployment and ExternalBookDefinition, and reports Pending', async () => {
    book = await resources.books.create(bdkNamespace, seedBook(bdkNamespace, bookId));
    instance = seedInstance({ namespace: bdkNamespace, customerNamespace, book, instanceId });
    workload = bookWorkloadName(book.spec.name, instanceId);
    // StoreInstanceSecrets writes the credentials Secret (and so the namespace) before the controller acts.
    await core.createNamespace({ body: { metadata: { name: customerNamespace, labels: customerNamespaceLabels(seedOrganization) } } });
    await core.createNamespacedSecret({
      namespace: customerNamespace,
      body: credentialsSecret(instance, book, { zendesk_api_key: 'zd-secret-value', slack_bot_token: 'xoxb-secret-value' }),
    });
    instance = await resources.instances.create(bdkNamespace, instance);

    const deployment = await waitUntil('the book Deployment', () => apps.readNamespacedDeployment({ namespace: customerNamespace, name: workload }));
    const labels = { [bdkLabels.instanceId]: instanceId, [bdkLabels.bookId]: bookId, [bdkLabels.managedBy]: managedByBdk };
    const annotation = { [bdkAnnotations.instanceRef]: `${bdkNamespace}/${instanceName()}` };
    expect(deployment.metadata).toMatchObject({ labels, annotations: annotation });
    expect(deployment.spec?.replicas).toBe(2);
    const [bookContainer, sidecar] = deployment.spec?.template.spec?.containers ?? [];
    expect(bookContainer).toMatchObject({
      name: 'book',
      image: 'ghcr.io/bdk-books/customer-support:1.0.0',
      ports: [expect.objectContaining({ containerPort: 8080 })],
      resources: { requests: { cpu: '500m', memory: '1Gi' } },
      volumeMounts: [expect.objectContaining({ mountPath: '/etc/bdk/book' }), { name: 'tmp', mountPath: '/tmp' }],
    });
    const secretName = credentialsSecretName(book.spec.name, instanceId);
    expect(bookContainer?.env).toEqual(
      expect.arrayContaining([
        { name: 'BDK_INSTANCE_ID', value: instanceId },
        { name: 'BDK_BOOK_NAME', value: 'customer-support' },
        { name: 'BDK_BOOK_VERSION', value: '1.0.0' },
        { name: 'BDK_ENVIRONMENT', value: 'production' },
        { name: 'BDK_LOG_LEVEL', value: 'info' },
        { name: 'ZENDESK_API_KEY', valueFrom: { secretKeyRef: { name: secretName, key: 'zendesk_api_key' } } },
        { name: 'SLACK_BOT_TOKEN', valueFrom: { secretKeyRef: { name: secretName, key: 'slack_bot_token' } } },
      ]),
    );
    // tailscale.enabled in the spec: the sidecar joins the tailnet in userspace mode.
    expect(sidecar).toMatchObject({ name: 'tailscale', image: expect.stringMatching(/^ghcr\.io\/tailscale\/tailscale:v\d+\.\d+\.\d+$/) });
    expect(sidecar?.env).toEqual(expect.arrayContaining([{ name: 'TS_USERSPACE', value: 'true' }]));

    const configMap = await waitUntil('the ConfigMap', () => core.readNamespacedConfigMap({ namespace: customerNamespace, name: workload }));
    expect(configMap.metadata).toMatchObject({ labels, annotations: annotation });
    expect(JSON.parse(configMap.data?.['book.json'] ?? '{}')).toEqual(
      expect.objectContaining({ name: 'customer-support', version: '1.0.0', capabilities: book.spec.capabilities, integrations: book.spec.integrations }),
    );
    const service = await waitUntil('the Service', () => core.readNamespacedService({ namespace: customerNamespace, name: workload }));
    expect(service.metadata).toMatchObject({ labels, annotations: annotation });
    expect(service.spec).toMatchObject({ type: 'ClusterIP', selector: { [bdkLabels.instanceId]: instanceId }, ports: [expect.objectContaining({ port: 8080 })] });
    const external = await waitUntil('the ExternalBookDefinition', () => resources.externalBooks.find(customerNamespace, workload));
    expect(external.metadata).toMatchObject({ labels, annotations: annotation });
    expect(external.spec).toMatchObject({
      bookRef: { name: 'customer-support-book', version: '1.0.0' },
      instanceRef: { name: instanceName(), namespace: bdkNamespace },
      descriptor: { name: 'customer-support', version: '1.0.0' },
      endpoint: { url: bookUrl, service: workload, port: 8080 },
    });

    const pending = await waitUntil('status Pending', async () => {
      const current = await readInstance();
      return current.status?.phase === 'Pending' && current.status.conditions?.some((c) => c.type === 'DeploymentReady') ? current : undefined;
    });
    expect(pending.metadata.finalizers).toContain(instanceCleanupFinalizer);
    expect(pending.status).toMatchObject({ observedGeneration: pending.metadata.generation, instance_id: instanceId, book_id: bookId });
    for (const condition of pending.status?.conditions ?? []) expect(condition.observedGeneration).toBe(pending.metadata.generation);
    expect(pending.status?.conditions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'BookResolved', status: 'True' }),
        expect.objectContaining({ type: 'NamespaceAvailable', status: 'True', reason: 'NamespaceOwned' }),
        expect.objectContaining({ type: 'CredentialsAvailable', status: 'True' }),
        // Every Node is cordoned: the Pods wait to be scheduled (the Deployment controller may not have seen the spec yet).
        expect.objectContaining({ type: 'DeploymentReady', status: 'False', reason: expect.stringMatching(/^(DeploymentProgressing|ReplicasNotReady)$/) }),
        expect.objectContaining({ type: 'Ready', status: 'False', lastTransitionTime: expect.any(String) }),
      ]),
    );
    // Secret values stay in the Secret.
    expect(JSON.stringify(pending)).not.toContain('secret-value');
    expect(JSON.stringify(deployment)).not.toContain('secret-value');
  });

  it('becomes Ready with deployment_status 2/2 once the Deployment reports every replica ready', async () => {
    const before = await readInstance();
    const pendingSince = before.status?.conditions?.find((c) => c.type === 'DeploymentReady')?.last_transition;
    await schedulable(true);
    await waitForRollout(kube(), customerNamespace, workload);
    const ready = await waitUntil('status Ready', async () => {
      const current = await readInstance();
      return current.status?.phase === 'Ready' ? current : undefined;
    });
    expect(ready.status?.deployment_status).toEqual({ ready_replicas: 2, total_replicas: 2 });
    const condition = ready.status?.conditions?.find((c) => c.type === 'DeploymentReady');
    expect(condition).toMatchObject({ status: 'True', reason: 'ReplicasReady', observedGeneration: ready.metadata.generation });
    expect(condition?.last_transition).not.toBe(pendingSince);
    // Unchanged conditions keep their transition time.
    const bookResolved = (status: BookInstanceDefinition['status']) => status?.conditions?.find((c) => c.type === 'BookResolved')?.last_transition;
    expect(bookResolved(ready.status)).toBe(bookResolved(before.status));
    const events = await core.listNamespacedEvent({ namespace: bdkNamespace, fieldSelector: `involvedObject.name=${instanceName()}` });
    expect(events.items.map((e) => e.reason)).toEqual(expect.arrayContaining(['Applied', 'Ready']));
  });

  it('writes nothing when nothing changed, even after a restart', async () => {
    const versions = async () => ({
      instance: (await readInstance()).metadata.resourceVersion,
      deployment: (await apps.readNamespacedDeployment({ namespace: customerNamespace, name: workload })).metadata?.resourceVersion,
      service: (await core.readNamespacedService({ namespace: customerNamespace, name: workload })).metadata?.resourceVersion,
      configMap: (await core.readNamespacedConfigMap({ namespace: customerNamespace, name: workload })).metadata?.resourceVersion,
      externalBook: (await resources.externalBooks.get(customerNamespace, workload)).metadata.resourceVersion,
      namespace: (await core.readNamespace({ name: customerNamespace })).metadata?.resourceVersion,
    });
    const before = await versions();
    await app?.stop();
    app = await startController();
    const restarted = app;
    // The new process lists everything and reconciles the instance once; wait for that pass to finish.
    await waitUntil('a reconcile after the restart', async () => (await reconcileCount(restarted)) >= 1);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await versions()).toEqual(before);
    expect(restarted.process.output()).not.toContain('applied the instance children');
    expect(restarted.process.output()).not.toContain('updated the instance status');
  }, 60_000);

  it('follows a change of spec.deployment.replicas', async () => {
    await schedulable(false);
    await resources.instances.mergePatch(bdkNamespace, instanceName(), { spec: { deployment: { replicas: 3 } } });
    await waitUntil('the Deployment scaled to 3', async () => {
      const deployment: V1Deployment = await apps.readNamespacedDeployment({ namespace: customerNamespace, name: workload });
      return deployment.spec?.replicas === 3;
    });
    const updating = await waitUntil('status Updating', async () => {
      const current = await readInstance();
      return current.status?.phase === 'Updating' && current.status.observedGeneration === current.metadata.generation ? current : undefined;
    });
    expect(updating.status?.conditions?.find((c) => c.type === 'DeploymentReady')).toMatchObject({ status: 'False', observedGeneration: updating.metadata.generation });
    await schedulable(true);
    await waitForRollout(kube(), customerNamespace, workload);
    const ready = await waitUntil('Ready at 3 replicas', async () => {
      const current = await readInstance();
      return current.status?.phase === 'Ready' ? current : undefined;
    });
    expect(ready.status?.deployment_status).toEqual({ ready_replicas: 3, total_replicas: 3 });
  });

  it('deletes every child in the customer namespace, then lets the instance go', async () => {
    await resources.instances.delete(bdkNamespace, instanceName());
    await waitUntil('the instance gone', async () => (await resources.instances.find(bdkNamespace, instanceName())) === undefined);
    const selector = `${bdkLabels.instanceId}=${instanceId}`;
    expect((await apps.listNamespacedDeployment({ namespace: customerNamespace, labelSelector: selector })).items).toEqual([]);
    expect((await core.listNamespacedService({ namespace: customerNamespace, labelSelector: selector })).items).toEqual([]);
    expect((await core.listNamespacedConfigMap({ namespace: customerNamespace, labelSelector: selector })).items).toEqual([]);
    expect((await core.listNamespacedSecret({ namespace: customerNamespace, labelSelector: selector })).items).toEqual([]);
    expect((await resources.externalBooks.list(customerNamespace, { labelSelector: selector })).items).toEqual([]);
    // The customer namespace is the customer's: it stays.
    expect((await core.readNamespace({ name: customerNamespace })).metadata?.name).toBe(customerNamespace);
  });
});

describe('an instance whose book does not exist', () => {
  it('reports Failed with reason BookNotFound, then deploys once the book appears', async () => {
    await schedulable(false);
    const instanceId = randomUUID();
    const book = seedBook(bdkNamespace, randomUUID());
    book.metadata.name = 'late-book';
    const instance = await resources.instances.create(
      bdkNamespace,
      seedInstance({ namespace: bdkNamespace, customerNamespace: 'customer-late', book, instanceId }),
    );
    const name = instance.metadata.name ?? '';
    const failed = await waitUntil('status Failed', async () => {
      const current = await resources.instances.get(bdkNamespace, name);
      return current.status?.phase === 'Failed' ? current : undefined;
    });
    expect(failed.status?.conditions).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'BookResolved', status: 'False', reason: 'BookNotFound', observedGeneration: failed.metadata.generation })]),
    );
    await resources.books.create(bdkNamespace, book);
    // The book's watch event re-queues the instance: no need to wait for the retry timer. Its credentials Secret
    // is missing, so the book's ConfigMap is written but no Deployment: Pods without their credentials would not start.
    await waitUntil('the ConfigMap', () => core.readNamespacedConfigMap({ namespace: 'customer-late', name: bookWorkloadName(book.spec.name, instanceId) }), {
      timeoutMs: 15_000,
    });
    const pending = await waitUntil('status Pending', async () => {
      const current = await resources.instances.get(bdkNamespace, name);
      return current.status?.phase === 'Pending' ? current : undefined;
    });
    // The controller created the namespace, for the instance's organisation.
    expect((await core.readNamespace({ name: 'customer-late' })).metadata?.labels).toEqual(expect.objectContaining(customerNamespaceLabels(seedOrganization)));
    // The Secret was never written: the condition says which one is missing.
    expect(pending.status?.conditions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'CredentialsAvailable', status: 'False', reason: 'SecretNotFound' }),
        expect.objectContaining({ type: 'Ready', status: 'False', reason: 'SecretNotFound' }),
      ]),
    );
    await expect(apps.readNamespacedDeployment({ namespace: 'customer-late', name: bookWorkloadName(book.spec.name, instanceId) })).rejects.toMatchObject({ code: 404 });
  });
});

describe('a customer namespace BDK may not write into', () => {
  let book: BookDefinition;

  beforeAll(async () => {
    book = seedBook(bdkNamespace, randomUUID());
    book.metadata.name = 'tenancy-book';
    book = await resources.books.create(bdkNamespace, book);
  });

  /** Creates an instance of `organizationId` in `customerNamespace` and waits until it reports Failed. */
  async function failedInstance(customerNamespace: string, organizationId: string) {
    const instanceId = randomUUID();
    const created = await resources.instances.create(bdkNamespace, seedInstance({ namespace: bdkNamespace, customerNamespace, book, instanceId, organizationId }));
    const name = created.metadata.name ?? '';
    const failed = await waitUntil(`instance in ${customerNamespace} Failed`, async () => {
      const current = await resources.instances.get(bdkNamespace, name);
      return current.status?.phase === 'Failed' ? current : undefined;
    });
    return { instanceId, name, failed };
  }

  /** Everything in the namespace that carries the instance's id. */
  async function writtenFor(customerNamespace: string, instanceId: string) {
    const labelSelector = `${bdkLabels.instanceId}=${instanceId}`;
    return [
      ...(await apps.listNamespacedDeployment({ namespace: customerNamespace, labelSelector })).items,
      ...(await core.listNamespacedService({ namespace: customerNamespace, labelSelector })).items,
      ...(await core.listNamespacedConfigMap({ namespace: customerNamespace, labelSelector })).items,
      ...(await core.listNamespacedSecret({ namespace: customerNamespace, labelSelector })).items,
      ...(await resources.externalBooks.list(customerNamespace, { labelSelector })).items,
    ];
  }

  const eventsOf = async (name: string) =>
    (await core.listNamespacedEvent({ namespace: bdkNamespace, fieldSelector: `involvedObject.name=${name}` })).items.map((e) => ({ reason: e.reason, message: e.message }));

  it('refuses a namespace BDK does not manage, reports why once, and takes it once it is handed over', async () => {
    await core.createNamespace({ body: { metadata: { name: 'team-own' } } });
    const { instanceId, name, failed } = await failedInstance('team-own', 'org-a');
    expect(failed.status?.conditions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'BookResolved', status: 'True' }),
        expect.objectContaining({ type: 'NamespaceAvailable', status: 'False', reason: 'NamespaceNotOwned', message: expect.stringContaining('not managed by BDK') }),
      ]),
    );
    expect(await writtenFor('team-own', instanceId)).toEqual([]);
    const namespaceBefore = await core.readNamespace({ name: 'team-own' });
    expect(namespaceBefore.metadata?.labels ?? {}).not.toHaveProperty(bdkLabels.organizationId);
    // Not retried in a hot loop: a while later there is still one Event and the status did not move.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect((await eventsOf(name)).filter((e) => e.reason === 'NamespaceNotOwned')).toHaveLength(1);
    expect((await resources.instances.get(bdkNamespace, name)).metadata.resourceVersion).toBe(failed.metadata.resourceVersion);

    // An operator hands the namespace over; the next pass (here prompted by a change to the instance) deploys.
    await core.patchNamespace(
      { name: 'team-own', body: { metadata: { labels: customerNamespaceLabels('org-a') } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await resources.instances.mergePatch(bdkNamespace, name, { metadata: { annotations: { 'example.com/nudge': '1' } } });
    await waitUntil('the book ConfigMap in the handed-over namespace', () =>
      core.readNamespacedConfigMap({ namespace: 'team-own', name: bookWorkloadName(book.spec.name, instanceId) }),
    );
  });

  it("writes nothing into another organisation's namespace, and deletes nothing there when the instance goes", async () => {
    await core.createNamespace({ body: { metadata: { name: 'customer-owned-by-a', labels: customerNamespaceLabels('org-a') } } });
    const { instanceId, name, failed } = await failedInstance('customer-owned-by-a', 'org-b');
    expect(failed.status?.conditions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'NamespaceAvailable', status: 'False', reason: 'NamespaceNotOwned', message: 'namespace customer-owned-by-a belongs to another organisation' }),
      ]),
    );
    expect(await writtenFor('customer-owned-by-a', instanceId)).toEqual([]);
    expect((await core.readNamespace({ name: 'customer-owned-by-a' })).metadata?.labels).toEqual(expect.objectContaining(customerNamespaceLabels('org-a')));
    expect(await eventsOf(name)).toEqual(expect.arrayContaining([{ reason: 'NamespaceNotOwned', message: 'namespace customer-owned-by-a belongs to another organisation' }]));

    // Something of org A's that happens to carry org B's instance id stays when org B's instance is deleted.
    await core.createNamespacedConfigMap({
      namespace: 'customer-owned-by-a',
      body: { metadata: { name: 'org-a-data', labels: { [bdkLabels.instanceId]: instanceId } }, data: { keep: 'me' } },
    });
    await resources.instances.delete(bdkNamespace, name);
    await waitUntil('the instance gone', async () => (await resources.instances.find(bdkNamespace, name)) === undefined);
    expect((await core.readNamespacedConfigMap({ namespace: 'customer-owned-by-a', name: 'org-a-data' })).data).toEqual({ keep: 'me' });
  });

  it.each(['kube-public', 'default', bdkNamespace])('never writes into the reserved namespace %s', async (reserved) => {
    const { instanceId, failed } = await failedInstance(reserved, 'org-a');
    expect(failed.status?.conditions).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'NamespaceAvailable', status: 'False', reason: 'NamespaceReserved' })]));
    expect(await writtenFor(reserved, instanceId)).toEqual([]);
  });
});
