// Book versions on a cluster whose Deployments really roll out (the built book-controller,
// kube-controller-manager, kube-scheduler, kwok's Nodes). An instance that follows a semver range runs the highest
// published version that matches, rolls to a higher one when it is published, and is not moved by a version
// outside the range or a withdrawn one; a version that cannot roll out is rolled back and the instance stays on the
// one before it until a newer one appears; the version it runs is in its status, and only that version is kept from
// deletion. An instance applied (as with kubectl) pinning a withdrawn version is Failed and not deployed, while one
// that ran a version before it was withdrawn keeps running.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AppsV1Api, CoreV1Api, type CoreV1Event } from '@kubernetes/client-node';
import { bdkResources, bookInUseFinalizer, bookWorkloadName, type BdkResources, type BookDefinition, type BookInstanceDefinition } from '@bdk/k8s';
import { setNodesSchedulable, startApp, startKubeEnv, waitUntil, type KubeEnv, type RunningApp } from '@bdk/testing';
import { randomUUID } from 'node:crypto';
import { seedBook, seedInstance } from './fixtures.js';

const bdkNamespace = 'bdk';
const customerNamespace = 'customer-ranges';
let env: KubeEnv | undefined;
let app: RunningApp | undefined;
let resources: BdkResources;
let apps: AppsV1Api;
let core: CoreV1Api;

beforeAll(async () => {
  env = await startKubeEnv({ workloads: true });
  resources = bdkResources(env.kubeConfig);
  apps = env.kubeConfig.makeApiClient(AppsV1Api);
  core = env.kubeConfig.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: bdkNamespace } } });
  // A short progress deadline, so a version whose rollout cannot progress is rolled back within the test.
  app = await startApp('book-controller', { KUBECONFIG: env.kubeconfigPath, BDK_NAMESPACE: bdkNamespace, BDK_LEADER_ELECTION: 'false', BDK_PROGRESS_DEADLINE_SECONDS: '6' });
}, 180_000);

afterAll(async () => {
  await app?.stop();
  await env?.stop();
}, 60_000);

/** Publishes customer-support `version` as the BookDefinition customer-support-<version>. */
async function publish(version: string, lifecycle?: NonNullable<BookDefinition['spec']['lifecycle']>): Promise<BookDefinition> {
  const seed = seedBook(bdkNamespace, randomUUID());
  return resources.books.create(bdkNamespace, {
    ...seed,
    metadata: { ...seed.metadata, name: `customer-support-${version.replaceAll('.', '-')}` },
    spec: { ...seed.spec, version, ...(lifecycle ? { lifecycle } : {}) },
  });
}

describe('an instance that follows ^1.0.0', () => {
  let instance: BookInstanceDefinition;
  let workload = '';
  const read = () => resources.instances.get(bdkNamespace, instance.metadata.name ?? '');
  /** The version the Deployment's template runs (the book's image tag and BDK_BOOK_VERSION). */
  const deployedVersion = async () => {
    const deployment = await apps.readNamespacedDeployment({ namespace: customerNamespace, name: workload });
    return deployment.spec?.template.spec?.containers.flatMap((c) => c.env ?? []).find((e) => e.name === 'BDK_BOOK_VERSION')?.value;
  };
  /** Ready on `version`: the status says it, every replica runs the template that has it. */
  const readyOn = (version: string) =>
    waitUntil(
      `Ready on ${version}`,
      async () => {
        const current = await read();
        const ready = current.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
        return ready && current.status?.resolved_version === version && (await deployedVersion()) === version ? current : undefined;
      },
      { timeoutMs: 60_000 },
    );

  beforeAll(async () => {
    const first = await publish('1.0.0');
    const instanceId = randomUUID();
    const draft = seedInstance({ namespace: bdkNamespace, customerNamespace, book: first, instanceId });
    instance = await resources.instances.create(bdkNamespace, {
      ...draft,
      // A range names the book (spec.name), not one of its BookDefinitions.
      spec: { ...draft.spec, bookRef: { name: 'customer-support', version: '^1.0.0' }, credentials: [], deployment: { type: 'primary', replicas: 1 } },
    });
    workload = bookWorkloadName('customer-support', instanceId);
  }, 30_000);

  it('runs the highest published version that matches: 1.0.0', async () => {
    const running = await readyOn('1.0.0');
    expect(running.status).toMatchObject({ resolved_version: '1.0.0', resolved_book: 'customer-support-1-0-0' });
    expect(running.status?.conditions?.find((c) => c.type === 'BookResolved')).toMatchObject({ status: 'True', message: expect.stringContaining('the highest matching ^1.0.0') });
  }, 90_000);

  it('rolls to 1.1.0 when it is published', async () => {
    await publish('1.1.0');
    const running = await readyOn('1.1.0');
    expect(running.status).toMatchObject({ resolved_version: '1.1.0', resolved_book: 'customer-support-1-1-0' });
  }, 90_000);

  it('is not moved by 2.0.0 (outside the range) nor by a withdrawn 1.2.0', async () => {
    await publish('2.0.0');
    await publish('1.2.0', { state: 'withdrawn', message: 'broken' });
    // Both are in the controller's cache (each got its finalizer from it) before the instance is looked at again.
    for (const name of ['customer-support-2-0-0', 'customer-support-1-2-0']) {
      await waitUntil(`${name} seen by the controller`, async () => (await resources.books.get(bdkNamespace, name)).metadata.finalizers?.includes(bookInUseFinalizer));
    }
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect((await read()).status?.resolved_version).toBe('1.1.0');
    expect(await deployedVersion()).toBe('1.1.0');
  }, 60_000);

  it('rolls a version that cannot roll out back, stays on the one before it, and moves on to a newer one', async () => {
    const kube = env?.kubeConfig;
    if (!kube || !env) throw new Error('the cluster did not start');
    // No Node takes the new version's Pod: its rollout cannot progress.
    await setNodesSchedulable(kube, env.nodes, false);
    try {
      await publish('1.3.0');
      const rolledBack = await waitUntil(
        'the rollback of 1.3.0',
        async () => {
          const current = await read();
          return current.status?.rollback && current.status.resolved_version === '1.3.0' ? current : undefined;
        },
        { timeoutMs: 60_000 },
      );
      expect(rolledBack.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'RolledBack' });
      await waitUntil('the 1.1.0 template back', async () => (await deployedVersion()) === '1.1.0');
    } finally {
      await setNodesSchedulable(kube, env.nodes, true);
    }
    // Nodes take Pods again, and still the failed version is not tried again.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await deployedVersion()).toBe('1.1.0');
    await publish('1.4.0');
    const running = await readyOn('1.4.0');
    expect(running.status?.rollback).toBeUndefined();
  }, 120_000);

  it('keeps only the version it runs from deletion: 1.0.0 goes, 1.4.0 stays Terminating', async () => {
    await resources.books.delete(bdkNamespace, 'customer-support-1-0-0');
    await resources.books.delete(bdkNamespace, 'customer-support-1-4-0');
    await waitUntil('1.0.0 to be gone', async () => (await resources.books.find(bdkNamespace, 'customer-support-1-0-0')) === undefined);
    const held = await waitUntil('1.4.0 to say what holds it', async () => {
      const book = await resources.books.find(bdkNamespace, 'customer-support-1-4-0');
      return book?.status?.conditions?.some((c) => c.type === 'InUse') ? book : undefined;
    });
    expect(held.metadata.deletionTimestamp).toBeDefined();
    expect(held.status?.conditions?.find((c) => c.type === 'InUse')?.message).toContain(instance.metadata.name ?? '');
    await resources.instances.delete(bdkNamespace, instance.metadata.name ?? '');
    await waitUntil('1.4.0 to be gone once the instance is', async () => (await resources.books.find(bdkNamespace, 'customer-support-1-4-0')) === undefined, {
      timeoutMs: 30_000,
    });
  }, 60_000);
});

describe('an instance that pins a withdrawn version, applied without the API', () => {
  /** An instance of `book` in its own customer namespace, with no credentials to wait for. */
  async function applyInstance(book: BookDefinition, customer: string): Promise<{ instance: BookInstanceDefinition; workload: string }> {
    const instanceId = randomUUID();
    const draft = seedInstance({ namespace: bdkNamespace, customerNamespace: customer, book, instanceId });
    const instance = await resources.instances.create(bdkNamespace, { ...draft, spec: { ...draft.spec, credentials: [], deployment: { type: 'primary', replicas: 1 } } });
    return { instance, workload: bookWorkloadName(book.spec.name, instanceId) };
  }
  const condition = (instance: BookInstanceDefinition, type: string) => instance.status?.conditions?.find((c) => c.type === type);
  const events = async (instance: BookInstanceDefinition): Promise<CoreV1Event[]> =>
    (await core.listNamespacedEvent({ namespace: bdkNamespace, fieldSelector: `involvedObject.name=${instance.metadata.name ?? ''}` })).items;

  it('is Failed with reason BookWithdrawn and nothing is deployed', async () => {
    const withdrawn = await publish('3.0.0', { state: 'withdrawn', message: 'use 3.0.1' });
    const { instance, workload } = await applyInstance(withdrawn, 'customer-withdrawn');
    const failed = await waitUntil('Failed', async () => {
      const current = await resources.instances.get(bdkNamespace, instance.metadata.name ?? '');
      return current.status?.phase === 'Failed' ? current : undefined;
    });
    const message = 'book customer-support version 3.0.0 (BookDefinition customer-support-3-0-0) is withdrawn: use 3.0.1; it takes no new instances';
    expect(condition(failed, 'BookResolved')).toMatchObject({ status: 'False', reason: 'BookWithdrawn', message });
    expect(condition(failed, 'Ready')).toMatchObject({ status: 'False', reason: 'BookWithdrawn' });
    expect((await events(failed)).map((event) => [event.type, event.reason])).toContainEqual(['Warning', 'BookWithdrawn']);
    const deployments = await apps.listNamespacedDeployment({ namespace: 'customer-withdrawn' }).catch(() => ({ items: [] }));
    expect(deployments.items.map((d) => d.metadata?.name)).not.toContain(workload);
  }, 60_000);

  it('one that ran the version before it was withdrawn keeps running', async () => {
    const book = await publish('4.0.0');
    const { instance, workload } = await applyInstance(book, 'customer-running');
    const ready = () =>
      waitUntil('Ready', async () => {
        const current = await resources.instances.get(bdkNamespace, instance.metadata.name ?? '');
        return condition(current, 'Ready')?.status === 'True' ? current : undefined;
      });
    await ready();
    await resources.books.mergePatch(bdkNamespace, book.metadata.name ?? '', { spec: { lifecycle: { state: 'withdrawn' } } });
    // A new instance of it is refused: the controller has seen the withdrawal (and re-queued the running one).
    const { instance: late } = await applyInstance(book, 'customer-late');
    await waitUntil('the new instance refused', async () => {
      const current = await resources.instances.get(bdkNamespace, late.metadata.name ?? '');
      return condition(current, 'Ready')?.reason === 'BookWithdrawn';
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const still = await ready();
    expect(condition(still, 'BookResolved')).toMatchObject({ status: 'True', reason: 'BookFound' });
    expect((await apps.readNamespacedDeployment({ namespace: 'customer-running', name: workload })).status?.readyReplicas).toBe(1);
  }, 90_000);
});
