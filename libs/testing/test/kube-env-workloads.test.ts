// startKubeEnv({ workloads: true }): a cluster that runs Pods. The real kube-controller-manager and kube-scheduler
// turn a Deployment into scheduled Pods, and kwok's Stages (libs/testing/kwok/) make them Running and Ready on fake
// Nodes, or fail them on purpose so that a rollout stalls; the default ServiceAccount, cascading deletion and an
// HorizontalPodAutoscaler work as in a cluster. Every process goes with stop(), or with a start that fails.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AppsV1Api, AutoscalingV2Api, CoordinationV1Api, CoreV1Api, type V1Deployment, type V1Pod } from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  kwokPodFailureLabel,
  kwokPodFailures,
  setNodesSchedulable,
  startKubeEnv,
  toolchainVersions,
  toolPath,
  waitForRollout,
  waitUntil,
  type KubeEnv,
} from '../src/index.js';

const run = promisify(execFile);
const namespace = 'workloads';
let env: KubeEnv;
let core: CoreV1Api;
let apps: AppsV1Api;

beforeAll(async () => {
  env = await startKubeEnv({ workloads: true, installCrds: false });
  core = env.kubeConfig.makeApiClient(CoreV1Api);
  apps = env.kubeConfig.makeApiClient(AppsV1Api);
  await core.createNamespace({ body: { metadata: { name: namespace } } });
}, 180_000);

afterAll(async () => {
  await env?.stop();
}, 60_000);

function deployment(name: string, replicas: number, extra: { labels?: Record<string, string>; progressDeadlineSeconds?: number } = {}): V1Deployment {
  return {
    metadata: { name },
    spec: {
      replicas,
      ...(extra.progressDeadlineSeconds ? { progressDeadlineSeconds: extra.progressDeadlineSeconds } : {}),
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name, ...extra.labels } },
        spec: { containers: [{ name: 'book', image: 'example.invalid/book:1', resources: { requests: { cpu: '100m', memory: '64Mi' } } }] },
      },
    },
  };
}

async function podsOf(name: string): Promise<V1Pod[]> {
  return (await core.listNamespacedPod({ namespace, labelSelector: `app=${name}` })).items;
}

const condition = (pod: V1Pod, type: string) => pod.status?.conditions?.find((c) => c.type === type)?.status;

/** The IPv4 address as a number, to test it against a CIDR. */
const ipNumber = (ip: string) => ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
function inCidr(ip: string, cidr: string): boolean {
  const [base = '', bits = '32'] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  return Math.floor(ipNumber(ip) / size) === Math.floor(ipNumber(base) / size);
}

describe('the components', () => {
  it('are the pinned kube-controller-manager, kube-scheduler and kwok', async () => {
    const versions = toolchainVersions();
    for (const tool of ['kube-controller-manager', 'kube-scheduler'] as const) {
      expect((await run(toolPath(tool), ['--version'])).stdout.trim()).toBe(`Kubernetes v${versions['KUBERNETES_VERSION']}`);
    }
    expect((await run(toolPath('kwok'), ['--version'])).stdout).toContain(`kwok version v${versions['KWOK_VERSION']} `);
  });
});

describe('fake Nodes', () => {
  it('are Ready, with room for about 1,000 small Pods, and kwok renews their Leases', async () => {
    expect(env.nodes).toHaveLength(4);
    const nodes = (await core.listNode()).items.filter((node) => env.nodes.includes(node.metadata?.name ?? ''));
    expect(nodes).toHaveLength(4);
    let pods = 0;
    for (const node of nodes) {
      expect(node.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'KubeletReady' });
      expect(node.spec?.taints ?? []).toEqual([]);
      expect(node.status?.allocatable).toMatchObject({ cpu: '32', memory: '256Gi' });
      pods += Number(node.status?.allocatable?.['pods']);
    }
    expect(pods).toBeGreaterThanOrEqual(1_000);
    const leases = env.kubeConfig.makeApiClient(CoordinationV1Api);
    for (const name of env.nodes) {
      const lease = await leases.readNamespacedLease({ namespace: 'kube-node-lease', name });
      expect(lease.spec?.leaseDurationSeconds).toBe(40);
      expect(Date.now() - new Date(lease.spec?.renewTime ?? 0).getTime()).toBeLessThan(40_000);
    }
  });
});

describe('kube-controller-manager', () => {
  it("gives a new namespace its default ServiceAccount and the cluster's CA", async () => {
    await core.createNamespace({ body: { metadata: { name: 'fresh' } } });
    await waitUntil('the default ServiceAccount in fresh', () => core.readNamespacedServiceAccount({ namespace: 'fresh', name: 'default' }));
    const rootCa = await waitUntil('kube-root-ca.crt in fresh', () => core.readNamespacedConfigMap({ namespace: 'fresh', name: 'kube-root-ca.crt' }));
    expect(rootCa.data?.['ca.crt']).toBe(await readFile(env.pki.ca.cert, 'utf8'));
  });
});

describe('a Deployment', () => {
  it('rolls out: its Pods are scheduled onto the fake Nodes and turn Running and Ready, each with an IP of its Node', async () => {
    await apps.createNamespacedDeployment({ namespace, body: deployment('web', 3) });
    const done = await waitForRollout(env.kubeConfig, namespace, 'web');
    expect(done.status).toMatchObject({ replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 });
    expect(done.status?.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable' });
    const pods = await podsOf('web');
    expect(pods).toHaveLength(3);
    const nodes = new Map((await core.listNode()).items.map((node) => [node.metadata?.name, node]));
    for (const pod of pods) {
      expect(env.nodes).toContain(pod.spec?.nodeName);
      expect(pod.status?.phase).toBe('Running');
      expect(condition(pod, 'Ready')).toBe('True');
      expect(pod.status?.containerStatuses).toEqual([expect.objectContaining({ name: 'book', ready: true, started: true, restartCount: 0, state: { running: expect.anything() } })]);
      const node = nodes.get(pod.spec?.nodeName);
      expect(inCidr(pod.status?.podIP ?? '', node?.spec?.podCIDR ?? '')).toBe(true);
      expect(pod.status?.hostIP).toBe(node?.status?.addresses?.find((a) => a.type === 'InternalIP')?.address);
    }
    expect(new Set(pods.map((pod) => pod.status?.podIP)).size).toBe(3);
  });

  it('scales down: the Pods it no longer needs are gone', async () => {
    await apps.patchNamespacedDeploymentScale(
      { namespace, name: 'web', body: [{ op: 'replace', path: '/spec/replicas', value: 1 }] },
    );
    await waitForRollout(env.kubeConfig, namespace, 'web');
    await waitUntil('one Pod left', async () => (await podsOf('web')).length === 1);
  });

  it('waits Pending while every Node is cordoned, and rolls out once they are uncordoned', async () => {
    await setNodesSchedulable(env.kubeConfig, env.nodes, false);
    try {
      await apps.patchNamespacedDeploymentScale({ namespace, name: 'web', body: [{ op: 'replace', path: '/spec/replicas', value: 3 }] });
      const held = await waitUntil('a Pod the scheduler cannot place', async () => {
        const pending = (await podsOf('web')).find((pod) => pod.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable'));
        return pending;
      });
      expect(held.status?.phase).toBe('Pending');
      expect(held.spec?.nodeName).toBeUndefined();
    } finally {
      await setNodesSchedulable(env.kubeConfig, env.nodes, true);
    }
    expect((await waitForRollout(env.kubeConfig, namespace, 'web')).status?.readyReplicas).toBe(3);
  });

  it('is scaled up to minReplicas by an HorizontalPodAutoscaler', async () => {
    await env.kubeConfig.makeApiClient(AutoscalingV2Api).createNamespacedHorizontalPodAutoscaler({
      namespace,
      body: {
        metadata: { name: 'web' },
        spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 4, maxReplicas: 6 },
      },
    });
    await waitUntil('the HPA to scale web to 4', async () => (await apps.readNamespacedDeployment({ namespace, name: 'web' })).spec?.replicas === 4, { timeoutMs: 30_000 });
    await waitForRollout(env.kubeConfig, namespace, 'web');
  });

  it('takes its ReplicaSets and Pods with it when deleted', async () => {
    await apps.deleteNamespacedDeployment({ namespace, name: 'web' });
    await waitUntil('no web Pods or ReplicaSets', async () => {
      const replicaSets = await apps.listNamespacedReplicaSet({ namespace, labelSelector: 'app=web' });
      return replicaSets.items.length === 0 && (await podsOf('web')).length === 0;
    });
  });
});

describe('Pods that fail on purpose', () => {
  it(`crash loop under ${kwokPodFailureLabel}=${kwokPodFailures.crashLoop}: restarts rise, never Ready, the rollout stalls`, async () => {
    await apps.createNamespacedDeployment({
      namespace,
      body: deployment('crasher', 2, { labels: { [kwokPodFailureLabel]: kwokPodFailures.crashLoop }, progressDeadlineSeconds: 5 }),
    });
    await expect(waitForRollout(env.kubeConfig, namespace, 'crasher', { timeoutMs: 30_000 })).rejects.toThrow(/stalled: .*ProgressDeadlineExceeded/);
    const restarts = async () => (await podsOf('crasher')).map((pod) => pod.status?.containerStatuses?.[0]?.restartCount ?? 0);
    const before = await restarts();
    const [pod] = await podsOf('crasher');
    expect(pod?.status?.phase).toBe('Running');
    expect(condition(pod ?? {}, 'Ready')).toBe('False');
    expect(pod?.status?.containerStatuses?.[0]).toMatchObject({
      ready: false,
      state: { waiting: { reason: 'CrashLoopBackOff' } },
      lastState: { terminated: { exitCode: 1, reason: 'Error' } },
    });
    await waitUntil('every container restarted again', async () => (await restarts()).every((count, i) => count > (before[i] ?? 0)), { timeoutMs: 15_000 });
    const events = await core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${pod?.metadata?.name}` });
    expect(events.items.map((event) => event.reason)).toContain('BackOff');
  });

  it(`never start under ${kwokPodFailureLabel}=${kwokPodFailures.imagePullBackOff}: Pending in ImagePullBackOff, the rollout stalls`, async () => {
    await apps.createNamespacedDeployment({
      namespace,
      body: deployment('unpullable', 1, { labels: { [kwokPodFailureLabel]: kwokPodFailures.imagePullBackOff }, progressDeadlineSeconds: 5 }),
    });
    await expect(waitForRollout(env.kubeConfig, namespace, 'unpullable', { timeoutMs: 30_000 })).rejects.toThrow(/stalled: .*ProgressDeadlineExceeded/);
    const [pod] = await podsOf('unpullable');
    expect(pod?.status?.phase).toBe('Pending');
    expect(pod?.status?.podIP).toBeTruthy();
    expect(pod?.status?.containerStatuses?.[0]).toMatchObject({ ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff' } } });
  });
});

/** The pids of this test process's children whose command is one of `names`. */
async function childrenNamed(names: readonly string[]): Promise<Map<number, string>> {
  const found = new Map<number, string>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(path.join('/proc', entry, 'stat'), 'utf8').catch(() => '');
    // pid (comm) state ppid ...: comm may hold spaces, so read what follows its closing parenthesis.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const command = path.basename((await readFile(path.join('/proc', entry, 'cmdline'), 'utf8').catch(() => '')).split('\0')[0] ?? '');
    if (ppid === process.pid && names.includes(command)) found.set(Number(entry), command);
  }
  return found;
}

describe('stop', () => {
  const components = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok'] as const;

  it('ends every process it started, and leaves none behind when the start fails', async () => {
    // The suite's own cluster runs beside these.
    const others = new Set((await childrenNamed(components)).keys());
    const fresh = async () => [...(await childrenNamed(components)).entries()].filter(([pid]) => !others.has(pid));

    const local = await startKubeEnv({ workloads: true, installCrds: false });
    expect((await fresh()).map(([, command]) => command).sort()).toEqual([...components].sort());
    await local.stop();
    expect(await fresh()).toEqual([]);
    expect(existsSync(path.dirname(local.kubeconfigPath))).toBe(false);

    // The controller-manager, scheduler and kwok are up by the time the bad Node count fails the start.
    await expect(startKubeEnv({ workloads: { nodes: { count: 0 } }, installCrds: false })).rejects.toThrow(/count 0/);
    expect(await fresh()).toEqual([]);
  }, 180_000);
});
