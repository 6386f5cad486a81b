// kwok (Kubernetes WithOut Kubelet) plays the kubelets of a few fake Nodes: it keeps those Nodes Ready and their
// Leases renewed, and writes the status a kubelet would for each Pod bound to them (Running and Ready, an IP, container
// statuses) without running a container. What it writes is decided by the Stage files in libs/testing/kwok/, which
// also let a test make Pods fail on purpose (kwokPodFailureLabel).
import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Node } from '@kubernetes/client-node';
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { startComponent, type ClusterAccess, type RunningComponent } from './control-plane.js';
import { waitUntil } from './wait.js';
import { toolchainVersions, workspaceRoot } from './workspace.js';

/** The Stage files kwok is started with (one Stage per file). */
export const kwokStageDirectory = path.join(workspaceRoot, 'libs', 'testing', 'kwok');

/** The annotation that hands a Node to kwok; a Node without it (a real kubelet's) is never touched. */
export const fakeNodeAnnotation = { key: 'kwok.x-k8s.io/node', value: 'fake' } as const;

/**
 * A Pod label that makes kwok fail the Pod's containers instead of starting them (put it in a Deployment's Pod
 * template), with one of kwokPodFailures as its value. The Pod never turns Ready, so its Deployment's rollout stalls
 * and reports ProgressDeadlineExceeded after progressDeadlineSeconds.
 */
export const kwokPodFailureLabel = 'kwok.bdk.voyager.io/pod-failure';

export const kwokPodFailures = {
  /** Every container starts and exits 1, again every 2–3 s: Running, restartCount rising, waiting in CrashLoopBackOff. */
  crashLoop: 'crash-loop',
  /** No container ever starts: Pending, each container waiting in ImagePullBackOff, restartCount 0. */
  imagePullBackOff: 'image-pull-backoff',
} as const;
export type KwokPodFailure = (typeof kwokPodFailures)[keyof typeof kwokPodFailures];

export interface FakeNodeShape {
  /** How many Nodes (default 4). */
  count?: number;
  /** Each Node's allocatable CPU, memory and Pod count (default 32, 256Gi, 500): room for about 1,000 small Pods in all. */
  cpu?: string;
  memory?: string;
  pods?: number;
}

const defaultShape = { count: 4, cpu: '32', memory: '256Gi', pods: 500 };

/** Starts kwok for the Nodes annotated fakeNodeAnnotation; resolves once its /healthz answers. */
export async function startKwok(cluster: ClusterAccess, directory: string): Promise<RunningComponent> {
  const stages = (await readdir(kwokStageDirectory)).filter((file) => file.endsWith('.yaml')).sort();
  // kwok also reads ~/.kwok/kwok.yaml when there is one; a home of its own keeps a developer's stages out.
  const home = path.join(directory, 'kwok');
  await mkdir(home, { recursive: true });
  return startComponent(
    'kwok',
    (port) => [
      `--kubeconfig=${cluster.kubeconfigPath}`,
      ...stages.map((file) => `--config=${path.join(kwokStageDirectory, file)}`),
      `--manage-nodes-with-annotation-selector=${fakeNodeAnnotation.key}=${fakeNodeAnnotation.value}`,
      '--node-lease-duration-seconds=40',
      `--server-address=127.0.0.1:${port}`,
    ],
    {
      path: '/healthz',
      url: (port) => `http://127.0.0.1:${port}`,
      status: async (url) => (await fetch(url, { signal: AbortSignal.timeout(2_000) })).status,
    },
    { ...process.env, HOME: home },
  );
}

/** The fake Node `index` of a cluster: its own podCIDR (a /23, 510 Pod IPs) and address. */
function fakeNode(index: number, shape: Required<FakeNodeShape>): V1Node {
  const versions = toolchainVersions();
  const name = `kwok-node-${index}`;
  const resources = { cpu: shape.cpu, memory: shape.memory, pods: String(shape.pods), 'ephemeral-storage': '1Ti' };
  return {
    metadata: {
      name,
      annotations: { [fakeNodeAnnotation.key]: fakeNodeAnnotation.value, 'node.alpha.kubernetes.io/ttl': '0' },
      labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', type: 'kwok' },
    },
    spec: { podCIDR: `10.244.${index * 2}.0/23`, podCIDRs: [`10.244.${index * 2}.0/23`] },
    // A Node keeps the status it is created with (as a kubelet registers it); kwok then adds the conditions.
    status: {
      capacity: resources,
      allocatable: resources,
      addresses: [
        { type: 'InternalIP', address: `10.88.0.${index + 1}` },
        { type: 'Hostname', address: name },
      ],
      nodeInfo: {
        architecture: 'amd64',
        operatingSystem: 'linux',
        kubeletVersion: `v${versions['KUBERNETES_VERSION']}`,
        containerRuntimeVersion: `kwok://v${versions['KWOK_VERSION']}`,
        kernelVersion: '',
        osImage: 'kwok',
        machineID: '',
        systemUUID: '',
        bootID: '',
        kubeProxyVersion: '',
      },
    },
  };
}

/**
 * Creates the fake Nodes kwok manages (kwok-node-0, kwok-node-1, ...); Nodes that already exist (a kept cluster) are
 * left as they are. Resolves with their names once every one is Ready.
 */
export async function createFakeNodes(kubeConfig: KubeConfig, shape: FakeNodeShape = {}): Promise<string[]> {
  const full = { ...defaultShape, ...shape };
  if (full.count < 1 || full.count > 128) throw new Error(`fake nodes: count ${full.count} is not between 1 and 128`);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const nodes = Array.from({ length: full.count }, (_, index) => fakeNode(index, full));
  await Promise.all(
    nodes.map(async (body) => {
      try {
        await core.createNode({ body });
      } catch (error) {
        if ((error as { code?: number }).code !== 409) throw error;
      }
    }),
  );
  const names = nodes.map((node) => node.metadata?.name ?? '');
  await waitUntil(
    `fake nodes ${names.join(', ')} to be Ready`,
    async () => {
      const listed = await core.listNode({ labelSelector: 'type=kwok' });
      const ready = new Set(
        listed.items.filter((node) => node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).map((node) => node.metadata?.name),
      );
      return names.every((name) => ready.has(name));
    },
    { timeoutMs: 60_000, intervalMs: 100 },
  );
  return names;
}

/**
 * Cordons (`false`) or uncordons (`true`) Nodes, as `kubectl cordon` does: while no Node is schedulable, new Pods stay
 * Pending (reason Unschedulable), so a test can hold a rollout where it is and watch what reports it.
 */
export async function setNodesSchedulable(kubeConfig: KubeConfig, names: readonly string[], schedulable: boolean): Promise<void> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  await Promise.all(names.map((name) => core.patchNode({ name, body: { spec: { unschedulable: schedulable ? null : true } } }, merge)));
}
