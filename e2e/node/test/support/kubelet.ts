// The kubelet 1.36 of tools/install-toolchain.sh as a real Node of the test cluster, on this machine's cgroup v1
// hierarchy with the cgroupfs driver (no systemd), containerd as its runtime. Its files (root dir, Pod logs,
// certificates) stay in the test's folder; its ports are free loopback ones, so nothing here clashes with a kubelet's
// defaults.
import { freePort, startProcess, toolPath, untilReady, waitUntil, type ManagedProcess } from '@bdk/testing';
import { CoreV1Api, type KubeConfig, type V1Node } from '@kubernetes/client-node';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readlink, rm, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface KubeletOptions {
  nodeName: string;
  /** Its own folder: configuration, root dir, Pod logs. */
  dir: string;
  /** A kubeconfig with the Node's identity. */
  kubeconfig: string;
  /** The cluster CA, which client certificates to the kubelet's API are checked against. */
  clientCaFile: string;
  /** containerd's CRI endpoint (unix://…). */
  runtimeEndpoint: string;
  /** The cluster DNS the Pods are given as their nameserver, and the cluster's domain; none by default. */
  clusterDns?: { address: string; domain: string };
}

/** The kubelet links each container's log here (a fixed path), into its podLogsDir. */
const containerLogLinks = '/var/log/containers';

export interface RunningKubelet {
  readonly process: ManagedProcess;
  /** Where the kubelet writes the containers' logs: <namespace>_<pod>_<uid>/<container>/<restart>.log. */
  readonly podLogsDir: string;
  readonly rootDir: string;
  stop(): Promise<void>;
}

/**
 * The KubeletConfiguration for this machine. Each setting that differs from a kubelet's default is there because this
 * machine or a throw-away test Node needs it.
 */
export function kubeletConfiguration(options: KubeletOptions & { port: number; healthzPort: number; podLogsDir: string }): Record<string, unknown> {
  return {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    // This machine has cgroup v1, which kubelet 1.35+ refuses unless told otherwise.
    failCgroupV1: false,
    cgroupDriver: 'cgroupfs',
    failSwapOn: false,
    containerRuntimeEndpoint: options.runtimeEndpoint,
    address: '0.0.0.0',
    port: options.port,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    healthzPort: options.healthzPort,
    podLogsDir: options.podLogsDir,
    staticPodPath: '',
    authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: options.clientCaFile } },
    authorization: { mode: 'Webhook' },
    // A test Node on a shared disk: never evict or collect images because the disk is fuller than a real Node's would be.
    imageGCHighThresholdPercent: 100,
    evictionHard: { 'nodefs.available': '0%', 'nodefs.inodesFree': '0%', 'imagefs.available': '0%' },
    // The sysctls a kubelet wants are left as this machine has them.
    protectKernelDefaults: false,
    // Quicker status while the test waits (default 10 s).
    nodeStatusUpdateFrequency: '2s',
    serializeImagePulls: false,
    registerNode: true,
    // Pods resolve cluster names only: the host's resolv.conf names resolvers the Pods cannot use.
    resolvConf: '',
    ...(options.clusterDns ? { clusterDNS: [options.clusterDns.address], clusterDomain: options.clusterDns.domain } : {}),
  };
}

/** Starts the kubelet and resolves once its Node is Ready. */
export async function startKubelet(kubeConfig: KubeConfig, options: KubeletOptions): Promise<RunningKubelet> {
  const rootDir = path.join(options.dir, 'root');
  const podLogsDir = path.join(options.dir, 'pod-logs');
  await mkdir(rootDir, { recursive: true });
  await mkdir(podLogsDir, { recursive: true });
  const [port, healthzPort] = [await freePort(), await freePort()];
  const config = path.join(options.dir, 'kubelet-config.json');
  await writeFile(config, JSON.stringify(kubeletConfiguration({ ...options, port, healthzPort, podLogsDir }), null, 2));
  const linksBefore = existsSync(containerLogLinks);
  const proc = startProcess(
    'kubelet',
    toolPath('kubelet'),
    [`--config=${config}`, `--kubeconfig=${options.kubeconfig}`, `--root-dir=${rootDir}`, `--cert-dir=${path.join(options.dir, 'pki')}`, `--hostname-override=${options.nodeName}`, '--v=1'],
    { keepLines: 400 },
  );
  try {
    await untilReady(proc, waitForNodeReady(kubeConfig, options.nodeName, 120_000));
  } catch (error) {
    await proc.stop();
    throw new Error(`${error instanceof Error ? error.message : String(error)}\nkubelet output:\n${proc.output()}`, { cause: error });
  }
  const stop = async () => {
    await proc.stop(15_000);
    // Links to the logs of containers it had not removed yet, which would dangle once the test's folder is gone.
    for (const link of await readdir(containerLogLinks).catch(() => [])) {
      const file = path.join(containerLogLinks, link);
      if ((await readlink(file).catch(() => '')).startsWith(`${podLogsDir}/`)) await rm(file, { force: true });
    }
    if (!linksBefore) await rmdir(containerLogLinks).catch(() => undefined);
  };
  return { process: proc, podLogsDir, rootDir, stop };
}

function readyCondition(node: V1Node) {
  return node.status?.conditions?.find((condition) => condition.type === 'Ready');
}

/** Resolves with the Node once its Ready condition is True; a timeout names the condition's last reason and message. */
export async function waitForNodeReady(kubeConfig: KubeConfig, nodeName: string, timeoutMs: number): Promise<V1Node> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  let last = 'not registered';
  try {
    return await waitUntil(
      `Node ${nodeName} to be Ready`,
      async () => {
        const node = await core.readNode({ name: nodeName }).catch(() => undefined);
        const ready = node && readyCondition(node);
        if (ready) last = `${ready.status} (${ready.reason ?? ''}: ${ready.message ?? ''})`;
        return ready?.status === 'True' && node;
      },
      { timeoutMs, intervalMs: 500 },
    );
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}; its Ready condition: ${last}`, { cause: error });
  }
}
