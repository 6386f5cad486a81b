// The built book-controller on a local cluster where Deployments really roll out (kube-controller-manager,
// kube-scheduler and kwok's fake Nodes): readiness from the Pods, the summary Ready condition, customer namespace
// isolation as the apiserver enforces it, credential rotation rolling the Pods, an HorizontalPodAutoscaler the
// controller-manager acts on, a failed rollout rolled back, replicas: 0, and the three deployment types.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Client } from '@connectrpc/connect';
import { bdkLabels, bdkResources, bookWorkloadName, type BdkResources, type BookDefinition, type BookInstanceDefinition } from '@bdk/k8s';
import type { BookControllerService } from '@bdk/proto';
import { startApp, startKubeEnv, toolPath, waitUntil, type KubeEnv, type RunningApp } from '@bdk/testing';
import {
  AppsV1Api,
  AutoscalingV2Api,
  CoreV1Api,
  CoreV1Event,
  NetworkingV1Api,
  type V1Pod,
} from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { controllerClient, credentialsSecret, seedBook, seedInstance, serviceAccountToken } from './fixtures.js';

const execFileAsync = promisify(execFile);
const bdkNamespace = 'bdk';
const sharedNamespace = 'bdk-shared';
let env: KubeEnv | undefined;
let app: RunningApp | undefined;
let resources: BdkResources;
let core: CoreV1Api;
let apps: AppsV1Api;
let book: BookDefinition;
let client: Client<typeof BookControllerService>;
let bookServer: http.Server | undefined;
const received: { url: string; headers: http.IncomingHttpHeaders }[] = [];

beforeAll(async () => {
  // Every book URL leads here: the headers say which instance a trigger was meant for.
  bookServer = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      received.push({ url: request.url ?? '', headers: request.headers });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => bookServer?.listen(0, '127.0.0.1', resolve));
  env = await startKubeEnv({ workloads: true });
  resources = bdkResources(env.kubeConfig);
  core = env.kubeConfig.makeApiClient(CoreV1Api);
  apps = env.kubeConfig.makeApiClient(AppsV1Api);
  await core.createNamespace({ body: { metadata: { name: bdkNamespace } } });
  book = await resources.books.create(bdkNamespace, seedBook(bdkNamespace, randomUUID()));
  app = await startApp('book-controller', {
    KUBECONFIG: env.kubeconfigPath,
    BDK_NAMESPACE: bdkNamespace,
    BDK_BOOK_URL_TEMPLATE: `http://127.0.0.1:${(bookServer.address() as AddressInfo).port}`,
    BDK_PROGRESS_DEADLINE_SECONDS: '6',
    BDK_SHARED_NAMESPACE: sharedNamespace,
    BDK_LEADER_ELECTION: 'false',
  });
  client = controllerClient(app.grpcPort, await serviceAccountToken(env.kubeConfig, bdkNamespace, 'webhook-router'));
}, 180_000);

afterAll(async () => {
  await app?.stop();
  await env?.stop();
  await new Promise((resolve) => bookServer?.close(resolve));
}, 60_000);

interface Created {
  instance: BookInstanceDefinition;
  name: string;
  workload: string;
  customerNamespace: string;
}

/** An instance as the API creates it: its credentials Secret first, then the custom resource. */
async function createInstance(
  customerNamespace: string,
  options: { organizationId?: string; spec?: Partial<BookInstanceDefinition['spec']>; credentials?: Record<string, string> } = {},
): Promise<Created> {
  const instanceId = randomUUID();
  const draft = seedInstance({ namespace: bdkNamespace, customerNamespace, book, instanceId, organizationId: options.organizationId });
  const instance: BookInstanceDefinition = { ...draft, spec: { ...draft.spec, ...options.spec } };
  const values = options.credentials ?? { zendesk_api_key: `zd-${instanceId}`, slack_bot_token: `xoxb-${instanceId}` };
  // The namespace is the controller's to create; the Secret waits for it, as StoreInstanceSecrets would.
  const created = await resources.instances.create(bdkNamespace, instance);
  await waitUntil(`namespace ${customerNamespace}`, async () => (await core.listNamespace()).items.some((n) => n.metadata?.name === customerNamespace));
  await createOrReplaceSecret(customerNamespace, credentialsSecret(created, book, values));
  return { instance: created, name: created.metadata.name ?? '', workload: bookWorkloadName(book.spec.name, instanceId), customerNamespace };
}

async function createOrReplaceSecret(namespace: string, secret: ReturnType<typeof credentialsSecret>) {
  try {
    await core.createNamespacedSecret({ namespace, body: secret });
  } catch (error) {
    if ((error as { code?: number }).code !== 409) throw error;
    await core.replaceNamespacedSecret({ namespace, name: secret.metadata?.name ?? '', body: secret });
  }
}

function kube() {
  if (!env) throw new Error('the cluster did not start');
  return env.kubeConfig;
}

const read = (created: Created) => resources.instances.get(bdkNamespace, created.name);
const condition = (instance: BookInstanceDefinition, type: string) => instance.status?.conditions?.find((c) => c.type === type);

async function waitForReady(created: Created, timeoutMs = 60_000): Promise<BookInstanceDefinition> {
  return waitUntil(
    `instance ${created.name} Ready`,
    async () => {
      const instance = await read(created);
      return condition(instance, 'Ready')?.status === 'True' && instance.status?.observedGeneration === instance.metadata.generation && instance;
    },
    { timeoutMs },
  );
}

async function pods(namespace: string, selector: Record<string, string>): Promise<V1Pod[]> {
  const list = await core.listNamespacedPod({ namespace, labelSelector: Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',') });
  return list.items.filter((pod) => !pod.metadata?.deletionTimestamp);
}

async function events(created: Created): Promise<CoreV1Event[]> {
  return (await core.listNamespacedEvent({ namespace: bdkNamespace, fieldSelector: `involvedObject.name=${created.name}` })).items;
}

describe('a primary instance on a cluster that runs Pods', () => {
  let acme: Created;

  it('is Ready once its Pods are Running and Ready, with a summary Ready condition in the standard shape', async () => {
    acme = await createInstance('customer-acme');
    const instance = await waitForReady(acme);
    const running = await pods('customer-acme', { [bdkLabels.instanceId]: acme.instance.metadata.labels?.[bdkLabels.instanceId] ?? '' });
    expect(running).toHaveLength(2);
    for (const pod of running) {
      expect(pod.status?.phase).toBe('Running');
      expect(pod.spec?.nodeName).toMatch(/./);
    }
    expect(instance.status).toMatchObject({ phase: 'Ready', deployment_status: { ready_replicas: 2, total_replicas: 2 } });
    const ready = condition(instance, 'Ready');
    expect(ready).toMatchObject({ type: 'Ready', status: 'True', reason: 'InstanceReady', observedGeneration: instance.metadata.generation });
    expect(ready?.lastTransitionTime).toBe(ready?.last_transition);
    expect(Date.parse(ready?.lastTransitionTime ?? '')).not.toBeNaN();
    // What kubectl and GitOps tools read: kubectl wait on the condition, and the printer columns.
    const kubectl = (...args: string[]) => execFileAsync(toolPath('kubectl'), [`--kubeconfig=${env?.kubeconfigPath ?? ''}`, '-n', bdkNamespace, ...args]);
    const waited = await kubectl('wait', '--for=condition=Ready', `bookinstancedefinition/${acme.name}`, '--timeout=30s');
    expect(waited.stdout.trim()).toBe(`bookinstancedefinition.bdk.voyager.io/${acme.name} condition met`);
    const table = (await kubectl('get', 'bookinstancedefinitions', acme.name)).stdout;
    expect(table).toMatch(/READY\s+PHASE/);
    expect(table).toMatch(new RegExp(`${acme.name}\\s+customer-support-book\\s+customer-acme\\s+primary\\s+2\\s+Ready`));
  }, 120_000);

  it('isolates the customer namespace: Pod Security restricted, a quota, default limits and default-deny ingress', async () => {
    const namespace = await core.readNamespace({ name: 'customer-acme' });
    expect(namespace.metadata?.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'restricted' });
    const quota = await core.readNamespacedResourceQuota({ namespace: 'customer-acme', name: 'bdk-books' });
    expect(quota.spec?.hard).toMatchObject({ pods: '50' });
    // The quota controller counts what runs: the book's two Pods.
    await waitUntil('the quota to count the book pods', async () => (await core.readNamespacedResourceQuota({ namespace: 'customer-acme', name: 'bdk-books' })).status?.used?.['pods'] === '2');
    const [pod] = await pods('customer-acme', { [bdkLabels.instanceId]: acme.instance.metadata.labels?.[bdkLabels.instanceId] ?? '' });
    // What the instance requests is also its limit (a LimitRange default below a request would refuse the Pod).
    expect(pod?.spec?.containers[0]?.resources).toEqual({ requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '500m', memory: '1Gi' } });
    expect(pod?.spec?.containers[0]?.securityContext).toMatchObject({ allowPrivilegeEscalation: false, runAsNonRoot: true, readOnlyRootFilesystem: true });
    const policies = (await kube().makeApiClient(NetworkingV1Api).listNamespacedNetworkPolicy({ namespace: 'customer-acme' })).items;
    expect(policies.map((p) => p.metadata?.name).sort()).toEqual(['bdk-allow-triggers', 'bdk-allow-triggers-tailscale', 'bdk-default-deny-ingress']);
    // The apiserver itself refuses a privileged Pod there, whoever asks.
    await expect(
      core.createNamespacedPod({
        namespace: 'customer-acme',
        body: { metadata: { name: 'escalate' }, spec: { containers: [{ name: 'root', image: 'busybox', securityContext: { privileged: true } }] } },
      }),
    ).rejects.toMatchObject({ code: 403, body: expect.stringContaining('violates PodSecurity') });
  }, 120_000);

  it('rolls the Pods when a credential is rotated, as soon as the Secret changes (watched, not polled)', async () => {
    const instanceId = acme.instance.metadata.labels?.[bdkLabels.instanceId] ?? '';
    const before = new Set((await pods('customer-acme', { [bdkLabels.instanceId]: instanceId })).map((p) => p.metadata?.name));
    const started = Date.now();
    await createOrReplaceSecret('customer-acme', credentialsSecret(acme.instance, book, { zendesk_api_key: 'rotated', slack_bot_token: 'rotated-too' }));
    await waitUntil(
      'new pods after the rotation',
      async () => {
        const now = await pods('customer-acme', { [bdkLabels.instanceId]: instanceId });
        return now.length === 2 && now.every((p) => !before.has(p.metadata?.name) && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      },
      { timeoutMs: 30_000 },
    );
    // Well inside the 30 s a poll would take.
    expect(Date.now() - started).toBeLessThan(20_000);
    const deployment = await apps.readNamespacedDeployment({ namespace: 'customer-acme', name: acme.workload });
    expect(deployment.spec?.template.metadata?.annotations?.['bdk.voyager.io/credentials-hash']).toMatch(/^[0-9a-f]{32}$/);
    await waitForReady(acme);
  }, 120_000);

  it('rolls back a rollout that cannot progress, says so, and follows the next spec change again', async () => {
    // More memory than the namespace quota allows: the new ReplicaSet cannot create a single Pod.
    await resources.instances.mergePatch(bdkNamespace, acme.name, { spec: { deployment: { type: 'primary', replicas: 2, resources: { memory: '64Gi' } } } });
    const rolledBack = await waitUntil(
      'the rollback',
      async () => {
        const instance = await read(acme);
        return instance.status?.rollback && instance;
      },
      { timeoutMs: 60_000 },
    );
    expect(rolledBack.status?.phase).toBe('Failed');
    expect(rolledBack.status?.rollback).toMatchObject({ reason: 'ProgressDeadlineExceeded', revision: expect.stringMatching(/^[0-9]+$/) });
    expect(condition(rolledBack, 'Ready')).toMatchObject({ status: 'False', reason: 'RolledBack' });
    expect((await events(acme)).some((e) => e.reason === 'RolledBack' && e.type === 'Warning')).toBe(true);
    // The earlier template serves again: two ready Pods without the 64Gi request.
    await waitUntil('the earlier template to serve', async () => {
      const deployment = await apps.readNamespacedDeployment({ namespace: 'customer-acme', name: acme.workload });
      return deployment.status?.readyReplicas === 2 && deployment.status.updatedReplicas === 2 && !JSON.stringify(deployment.spec?.template).includes('64Gi');
    });
    // The status follows: the Deployment is ready on the earlier template, and the instance stays Failed.
    const held = await waitUntil('DeploymentReady on the earlier template', async () => {
      const instance = await read(acme);
      return condition(instance, 'DeploymentReady')?.status === 'True' && instance;
    });
    expect(held.status?.phase).toBe('Failed');

    await resources.instances.mergePatch(bdkNamespace, acme.name, { spec: { deployment: { type: 'primary', replicas: 2, resources: { memory: '256Mi' } } } });
    const recovered = await waitForReady(acme);
    expect(recovered.status?.rollback).toBeUndefined();
  }, 120_000);

  it('runs no Pods for replicas: 0 and is Ready', async () => {
    await resources.instances.mergePatch(bdkNamespace, acme.name, { spec: { deployment: { type: 'primary', replicas: 0 } } });
    const instance = await waitForReady(acme);
    expect(instance.status?.deployment_status).toEqual({ ready_replicas: 0, total_replicas: 0 });
    await waitUntil('no pods', async () => (await pods('customer-acme', { [bdkLabels.instanceId]: acme.instance.metadata.labels?.[bdkLabels.instanceId] ?? '' })).length === 0);
  }, 120_000);
});

describe('suspension', () => {
  it('stops the Pods, holds triggers, and runs again on resume', async () => {
    const paused = await createInstance('customer-paused', { spec: { deployment: { type: 'primary', replicas: 2, autoscaling: { min_replicas: 2, max_replicas: 4 } } } });
    await waitForReady(paused);
    await resources.instances.mergePatch(bdkNamespace, paused.name, { spec: { suspended: true } });
    const suspended = await waitUntil('phase Suspended with no Pods', async () => {
      const current = await read(paused);
      const running = await pods('customer-paused', { [bdkLabels.instanceId]: paused.instance.metadata.labels?.[bdkLabels.instanceId] ?? '' });
      return current.status?.phase === 'Suspended' && running.length === 0 && current;
    });
    expect(condition(suspended, 'Ready')).toMatchObject({ status: 'False', reason: 'Suspended' });
    // The autoscaler is gone, so nothing scales the book back up.
    await expect(kube().makeApiClient(AutoscalingV2Api).readNamespacedHorizontalPodAutoscaler({ namespace: 'customer-paused', name: paused.workload })).rejects.toMatchObject({ code: 404 });
    const kubectl = (...args: string[]) => execFileAsync(toolPath('kubectl'), [`--kubeconfig=${env?.kubeconfigPath ?? ''}`, '-n', bdkNamespace, ...args]);
    expect((await kubectl('get', 'bookinstancedefinitions', paused.name)).stdout).toMatch(/Suspended\s+true/);

    received.length = 0;
    const held = await client.dispatchTrigger({
      webhookId: `wh-${randomUUID()}`,
      source: 'zendesk',
      payload: Buffer.from('{}'),
      contentType: 'application/json',
      headers: {},
      targets: [{ namespace: bdkNamespace, name: paused.name }],
    });
    expect(held.results[0]).toMatchObject({ delivered: false, held: true, retryable: true });
    expect(received).toHaveLength(0);

    await resources.instances.mergePatch(bdkNamespace, paused.name, { spec: { suspended: false } });
    const resumed = await waitForReady(paused);
    expect(resumed.status?.deployment_status?.ready_replicas).toBe(2);
  }, 120_000);
});

describe('autoscaling', () => {
  it('becomes an HorizontalPodAutoscaler that the controller-manager scales the Deployment with', async () => {
    const scaled = await createInstance('customer-scale', {
      spec: { deployment: { type: 'primary', replicas: 1, autoscaling: { min_replicas: 3, max_replicas: 5, target_cpu_utilization: 70 } } },
    });
    const hpa = await waitUntil('the autoscaler', async () => {
      try {
        return await kube().makeApiClient(AutoscalingV2Api).readNamespacedHorizontalPodAutoscaler({ namespace: 'customer-scale', name: scaled.workload });
      } catch {
        return undefined;
      }
    });
    expect(hpa.spec).toMatchObject({ minReplicas: 3, maxReplicas: 5, scaleTargetRef: { kind: 'Deployment', name: scaled.workload } });
    // Below its minimum, the autoscaler raises the count; the controller does not set it back.
    const instance = await waitUntil('three ready replicas', async () => {
      const current = await read(scaled);
      return current.status?.deployment_status?.ready_replicas === 3 && condition(current, 'Ready')?.status === 'True' && current;
    });
    expect(instance.status?.phase).toBe('Ready');
    expect((await apps.readNamespacedDeployment({ namespace: 'customer-scale', name: scaled.workload })).spec?.replicas).toBe(3);
    // No resources asked for: the namespace's LimitRange gives the container its defaults, and the quota admits it.
    const [pod] = await pods('customer-scale', { [bdkLabels.instanceId]: scaled.instance.metadata.labels?.[bdkLabels.instanceId] ?? '' });
    expect(pod?.spec?.containers[0]?.resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '512Mi' } });
  }, 120_000);
});

describe('deployment types', () => {
  const dispatch = (created: Created) =>
    client.dispatchTrigger({
      webhookId: `wh-${randomUUID()}`,
      source: 'zendesk',
      payload: Buffer.from('{}'),
      contentType: 'application/json',
      headers: {},
      targets: [{ namespace: bdkNamespace, name: created.name }],
    });

  it('hands a primary that is not Ready to its Ready secondary, and takes it back once the primary is Ready', async () => {
    const primary = await createInstance('customer-failover');
    const secondary = await createInstance('customer-failover', { spec: { deployment: { type: 'secondary', replicas: 1 } } });
    await waitForReady(primary);
    await waitForReady(secondary);
    received.length = 0;
    expect((await dispatch(primary)).results[0]?.delivered).toBe(true);
    expect(received[0]?.headers['x-bdk-instance']).toBe(`${bdkNamespace}/${primary.name}`);

    // The primary's update cannot roll out (the quota): it is not Ready, and its triggers go to the secondary.
    await resources.instances.mergePatch(bdkNamespace, primary.name, { spec: { deployment: { type: 'primary', replicas: 2, resources: { memory: '64Gi' } } } });
    await waitUntil('the primary not Ready', async () => condition(await read(primary), 'Ready')?.status === 'False');
    received.length = 0;
    expect((await dispatch(primary)).results[0]?.delivered).toBe(true);
    expect(received[0]?.headers).toMatchObject({ 'x-bdk-instance': `${bdkNamespace}/${secondary.name}`, 'x-bdk-failover-from': `${bdkNamespace}/${primary.name}` });

    // A spec that can roll out: the primary is Ready again and takes its own triggers.
    await resources.instances.mergePatch(bdkNamespace, primary.name, { spec: { deployment: { type: 'primary', replicas: 2, resources: { memory: '256Mi' } } } });
    await waitForReady(primary);
    received.length = 0;
    expect((await dispatch(primary)).results[0]?.delivered).toBe(true);
    expect(received[0]?.headers['x-bdk-instance']).toBe(`${bdkNamespace}/${primary.name}`);
    expect(received[0]?.headers).not.toHaveProperty('x-bdk-failover-from');
  }, 120_000);

  it('runs the shared instances of a book version on one Deployment, each trigger carrying only its own credentials', async () => {
    const a = await createInstance('customer-shared-a', { organizationId: 'org-a', spec: { deployment: { type: 'shared', replicas: 1 } }, credentials: { zendesk_api_key: 'key-of-a', slack_bot_token: 'slack-of-a' } });
    const b = await createInstance('customer-shared-b', { organizationId: 'org-b', spec: { deployment: { type: 'shared', replicas: 2 } }, credentials: { zendesk_api_key: 'key-of-b', slack_bot_token: 'slack-of-b' } });
    await waitForReady(a);
    await waitForReady(b);
    const workload = `${book.metadata.name}-${book.spec.version.replace(/\./g, '-')}-shared`;
    const shared = await apps.readNamespacedDeployment({ namespace: sharedNamespace, name: workload });
    // As many replicas as the largest request; no customer's credentials in the Pods.
    expect(shared.spec?.replicas).toBe(2);
    expect(JSON.stringify(shared.spec?.template)).not.toMatch(/secretKeyRef|key-of-/);
    expect((await apps.listNamespacedDeployment({ namespace: 'customer-shared-a' })).items).toHaveLength(0);
    expect((await core.readNamespace({ name: sharedNamespace })).metadata?.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'restricted' });

    received.length = 0;
    expect((await dispatch(a)).results[0]?.delivered).toBe(true);
    const headers = received[0]?.headers ?? {};
    const credentials = JSON.parse(Buffer.from(String(headers['x-bdk-credentials']), 'base64url').toString('utf8'));
    expect(credentials).toEqual({ zendesk_api_key: 'key-of-a', slack_bot_token: 'slack-of-a' });
    expect(headers['x-bdk-organization-id']).toBe('org-a');
    expect(JSON.stringify(headers)).not.toContain('key-of-b');

    // The workload stays while an instance uses it and goes with the last.
    await resources.instances.delete(bdkNamespace, a.name);
    await waitUntil('instance a gone', async () => !(await resources.instances.find(bdkNamespace, a.name)));
    expect((await apps.readNamespacedDeployment({ namespace: sharedNamespace, name: workload })).metadata?.name).toBe(workload);
    await resources.instances.delete(bdkNamespace, b.name);
    await waitUntil('the shared workload gone', async () => (await apps.listNamespacedDeployment({ namespace: sharedNamespace })).items.length === 0);
  }, 120_000);
});

describe('the deployment type', () => {
  it('is immutable: the apiserver refuses a change', async () => {
    const created = await createInstance('customer-immutable');
    await expect(resources.instances.mergePatch(bdkNamespace, created.name, { spec: { deployment: { type: 'shared' } } })).rejects.toMatchObject({
      body: expect.stringContaining('spec.deployment.type is immutable'),
    });
  }, 120_000);
});
