// kube-proxy 1.36 (built by the toolchain) for a test Node, in iptables mode: the Node's Pods, and the host, reach
// Services by cluster IP, the `kubernetes` Service included. It acts as the cluster's kube-proxy user, whom the
// built-in system:node-proxier ClusterRoleBinding authorizes. Its rules are removed at stop (`kube-proxy --cleanup`).
import { freePort, startProcess, toolPath, untilReady, waitUntil, type KubeEnv, type ManagedProcess } from '@bdk/testing';
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { writeClientKubeconfig } from './node-identity.js';

const run = promisify(execFile);

export interface KubeProxyOptions {
  /** The Node it serves (its hostname override). */
  nodeName: string;
  /** The Pods' addresses: traffic to a Service from anywhere else is masqueraded. */
  clusterCidr: string;
  /** Its own folder: configuration and identity. */
  dir: string;
}

export interface RunningKubeProxy {
  readonly process: ManagedProcess;
  stop(): Promise<void>;
}

/**
 * The KubeProxyConfiguration. Each setting that differs from the default is there because this machine or a
 * throw-away Node needs it: the sysctls it would tune (conntrack limits, route_localnet) stay as the host has them.
 */
export function kubeProxyConfiguration(options: KubeProxyOptions & { kubeconfig: string; healthzPort: number; metricsPort: number }): Record<string, unknown> {
  return {
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    mode: 'iptables',
    clientConnection: { kubeconfig: options.kubeconfig },
    hostnameOverride: options.nodeName,
    clusterCIDR: options.clusterCidr,
    healthzBindAddress: `127.0.0.1:${options.healthzPort}`,
    metricsBindAddress: `127.0.0.1:${options.metricsPort}`,
    // 0: leave nf_conntrack_max and the timeouts as they are.
    conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' },
    // NodePorts on 127.0.0.1 would need route_localnet=1 on the host.
    iptables: { localhostNodePorts: false, syncPeriod: '30s', minSyncPeriod: '0s' },
  };
}

/** Starts kube-proxy and resolves once it has written the Services' rules (/healthz answers 200). */
export async function startKubeProxy(kube: KubeEnv, options: KubeProxyOptions): Promise<RunningKubeProxy> {
  await mkdir(options.dir, { recursive: true });
  const kubeconfig = await writeClientKubeconfig(kube, { user: 'system:kube-proxy', dir: options.dir, name: 'kube-proxy' });
  const [healthzPort, metricsPort] = [await freePort(), await freePort()];
  const config = path.join(options.dir, 'kube-proxy-config.json');
  await writeFile(config, JSON.stringify(kubeProxyConfiguration({ ...options, kubeconfig, healthzPort, metricsPort }), null, 2));
  const proc = startProcess('kube-proxy', toolPath('kube-proxy'), [`--config=${config}`, '--v=1'], { keepLines: 300 });
  const cleanup = () => run(toolPath('kube-proxy'), ['--cleanup', `--config=${config}`]).catch(() => undefined);
  try {
    await untilReady(
      proc,
      waitUntil('kube-proxy /healthz', async () => (await fetch(`http://127.0.0.1:${healthzPort}/healthz`)).status === 200, { timeoutMs: 60_000, intervalMs: 250 }),
    );
  } catch (error) {
    await proc.stop();
    await cleanup();
    throw new Error(`${error instanceof Error ? error.message : String(error)}\nkube-proxy output:\n${proc.output()}`, { cause: error });
  }
  return {
    process: proc,
    async stop() {
      await proc.stop(10_000);
      await cleanup();
    },
  };
}
