// A real Node for a test cluster (startKubeEnv): containerd with a pause image built here, a bridge network from
// Debian's CNI plugins, and the kubelet, joined with a Node identity of its own. Pods bound to it run as containers
// from images imported into containerd (nothing can be pulled: imagePullPolicy Never or IfNotPresent). Runs as root.
import type { KubeEnv } from '@bdk/testing';
import { waitUntil } from '@bdk/testing';
import { CoreV1Api } from '@kubernetes/client-node';
import { mkdir, mkdtemp, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startContainerd, unmountUnder, type RunningContainerd } from './containerd.js';
import { kubeletChainsPresent, removeKubeletChains } from './kubelet-iptables.js';
import { clusterDomain, startClusterDns } from './cluster-dns.js';
import { startKubeProxy } from './kube-proxy.js';
import { startKubelet, type RunningKubelet } from './kubelet.js';
import { grantNodeRole, writeNodeKubeconfig } from './node-identity.js';
import { buildStaticImage, pauseImage, type StaticImage } from './local-images.js';
import { bridgeAddress, bridgeExists, bridgeName, deleteNodeBridge, podSubnet } from './node-bridge.js';

/** The CNI network's name. */
const cniNetworkName = 'bdk-node';

export interface RealNode {
  readonly name: string;
  readonly containerd: RunningContainerd;
  readonly kubelet: RunningKubelet;
  /** Imports an image archive (`docker save` output or an OCI layout tar) for Pods to run. */
  importImage(archive: string): Promise<void>;
  /** Builds one of e2e/node/images and imports it. */
  importStaticImage(image: StaticImage): Promise<void>;
  /** What a failure needs to be understood: a Pod's events, and what the kubelet and containerd printed last. */
  diagnose(namespace: string, pod: string): Promise<string>;
  /**
   * Deletes the Pods bound to the Node and waits for the kubelet to stop them, then stops the kubelet and
   * containerd and removes everything they left: containers, mounts, network namespaces, the bridge, iptables
   * chains, cgroups, files.
   */
  stop(): Promise<void>;
}

async function writeCniConfig(dir: string): Promise<string> {
  const confDir = path.join(dir, 'cni');
  await mkdir(confDir, { recursive: true });
  await writeFile(
    path.join(confDir, '10-bdk-node.conflist'),
    JSON.stringify({
      cniVersion: '1.0.0',
      name: cniNetworkName,
      plugins: [
        {
          type: 'bridge',
          bridge: bridgeName,
          isGateway: true,
          // The Pods talk to the host and to each other; nothing here needs them to leave the machine.
          ipMasq: false,
          hairpinMode: true,
          ipam: { type: 'host-local', ranges: [[{ subnet: podSubnet }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: path.join(dir, 'cni-ipam') },
        },
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    }),
  );
  return confDir;
}

const cniResults = '/var/lib/cni/results';

/**
 * The CNI plugins' cache of each sandbox's result (<network>-<sandbox>-<interface>: this Node's network and
 * containerd's own loopback one), kept at a fixed path until the sandbox's network is torn down, which a sandbox
 * killed with the Node never is. Those made since `before` go.
 */
async function removeCniResults(before: ReadonlySet<string>): Promise<void> {
  for (const file of await readdir(cniResults).catch(() => [])) {
    if (!before.has(file) && (file.startsWith(`${cniNetworkName}-`) || file.startsWith('cni-loopback-'))) await rm(path.join(cniResults, file), { force: true });
  }
}

/** Removes the empty cgroups the kubelet made (kubepods and below) in every cgroup v1 hierarchy, deepest first. */
async function removeKubepodsCgroups(): Promise<void> {
  const remove = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (entry.isDirectory()) await remove(path.join(dir, entry.name));
    }
    await rmdir(dir).catch(() => undefined);
  };
  for (const hierarchy of await readdir('/sys/fs/cgroup').catch(() => [])) await remove(path.join('/sys/fs/cgroup', hierarchy, 'kubepods'));
}

export interface RealNodeOptions {
  /** The Node's name (default bdk-node). */
  name?: string;
  /**
   * Services for its Pods, as a cluster's Nodes have them: kube-proxy (cluster IPs, the `kubernetes` Service among
   * them) and CoreDNS as the cluster DNS. The Pods then reach the API as in-cluster clients do, so the cluster must
   * serve on the bridge: `createNodeBridge()`, then `startKubeEnv({ address: bridgeAddress })`.
   */
  clusterServices?: boolean;
}

/** Joins a real Node to `kube` and resolves once it is Ready. */
export async function startRealNode(kube: KubeEnv, options: RealNodeOptions = {}): Promise<RealNode> {
  if (process.getuid?.() !== 0) throw new Error('a real Node needs root (containerd, the kubelet, network namespaces and cgroups)');
  if (options.clusterServices && new URL(kube.server).hostname !== bridgeAddress) {
    throw new Error(`a Node with cluster services needs the apiserver on ${bridgeAddress} (createNodeBridge, then startKubeEnv({ address: bridgeAddress })), not ${kube.server}`);
  }
  const name = options.name ?? 'bdk-node';
  // Short: containerd's socket path must fit a sockaddr_un.
  const dir = await mkdtemp('/tmp/bdk-node-');
  const cleanups: { what: string; step: () => Promise<unknown> }[] = [];
  let containerd: RunningContainerd | undefined;
  let kubelet: RunningKubelet | undefined;
  const core = kube.kubeConfig.makeApiClient(CoreV1Api);

  const stop = async () => {
    if (containerd && kubelet) {
      // The kubelet stops what it started (sandboxes, their network namespaces and IP addresses).
      const pods = await core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${name}` }).catch(() => ({ items: [] }));
      for (const pod of pods.items) {
        await core.deleteNamespacedPod({ namespace: pod.metadata?.namespace ?? '', name: pod.metadata?.name ?? '', gracePeriodSeconds: 0 }).catch(() => undefined);
      }
      const runtime = containerd;
      // Stopped, not removed: the kubelet removes exited containers only at its next garbage collection (a minute).
      const running = async () => (await runtime.ctr(['tasks', 'ls'])).split('\n').filter((line) => /\bRUNNING\b/.test(line)).length;
      await waitUntil('the kubelet to stop every container', async () => (await running()) === 0, { timeoutMs: 60_000, intervalMs: 500 }).catch(() => undefined);
    }
    for (const { what, step } of cleanups.reverse()) {
      await step().catch((error: unknown) => console.error(`real node: ${what} failed:`, error instanceof Error ? error.message : error));
    }
    cleanups.length = 0;
  };

  try {
    cleanups.push({ what: 'removing its folder', step: () => rm(dir, { recursive: true, force: true }) });
    cleanups.push({ what: 'unmounting what is left in its folder', step: () => unmountUnder(dir) });
    cleanups.push({ what: 'removing the kubepods cgroups', step: removeKubepodsCgroups });
    // The bridge is the CNI plugin's to make unless the cluster already serves on it (createNodeBridge).
    if (!(await bridgeExists())) cleanups.push({ what: `deleting the bridge ${bridgeName}`, step: deleteNodeBridge });
    if (!(await kubeletChainsPresent())) cleanups.push({ what: "removing the kubelet's iptables chains", step: removeKubeletChains });
    const resultsBefore = new Set(await readdir(cniResults).catch(() => []));
    const [pauseArchive, cniConfDir] = await Promise.all([buildStaticImage(pauseImage, dir), writeCniConfig(dir)]);
    const runtime = await startContainerd({ dir: path.join(dir, 'containerd'), sandboxImage: pauseImage.reference, cniConfDir });
    containerd = runtime;
    cleanups.push({ what: 'stopping containerd', step: () => runtime.stop() });
    cleanups.push({ what: 'removing the CNI results cache', step: () => removeCniResults(resultsBefore) });
    await runtime.importImage(pauseArchive);

    const kubeconfig = await writeNodeKubeconfig(kube, name, dir);
    const revoke = await grantNodeRole(kube.kubeConfig, name);
    cleanups.push({ what: 'removing the Node role binding', step: revoke });
    cleanups.push({ what: 'deleting the Node', step: () => core.deleteNode({ name }).catch(() => undefined) });
    let clusterDns: string | undefined;
    if (options.clusterServices) {
      const dns = await startClusterDns(kube, { address: bridgeAddress, dir: path.join(dir, 'coredns') });
      cleanups.push({ what: 'stopping CoreDNS', step: () => dns.stop() });
      clusterDns = dns.address;
    }
    const node = await startKubelet(kube.kubeConfig, {
      nodeName: name,
      dir: path.join(dir, 'kubelet'),
      kubeconfig,
      clientCaFile: kube.pki.ca.cert,
      runtimeEndpoint: runtime.endpoint,
      ...(clusterDns ? { clusterDns: { address: clusterDns, domain: clusterDomain } } : {}),
    });
    kubelet = node;
    cleanups.push({ what: 'stopping the kubelet', step: () => node.stop() });
    if (options.clusterServices) {
      const proxy = await startKubeProxy(kube, { nodeName: name, clusterCidr: podSubnet, dir: path.join(dir, 'kube-proxy') });
      cleanups.push({ what: 'stopping kube-proxy and removing its rules', step: () => proxy.stop() });
    }
  } catch (error) {
    await stop();
    throw error;
  }

  const runtime = containerd;
  const node = kubelet;
  return {
    name,
    containerd: runtime,
    kubelet,
    importImage: (archive) => runtime.importImage(archive),
    async importStaticImage(image) {
      await runtime.importImage(await buildStaticImage(image, dir));
    },
    async diagnose(namespace, pod) {
      const events = await core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${pod}` }).catch(() => ({ items: [] }));
      const lines = (output: string) => output.split('\n').slice(-60).join('\n');
      return [
        `events of ${namespace}/${pod}:`,
        ...events.items.map((event) => `  ${event.type} ${event.reason}: ${event.message}`),
        '---- kubelet (last lines)',
        lines(node.process.output()),
        '---- containerd (last lines)',
        lines(runtime.process.output()),
      ].join('\n');
    },
    stop,
  };
}
