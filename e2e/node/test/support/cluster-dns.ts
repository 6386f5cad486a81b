// The cluster's DNS for a test Node: CoreDNS (built by the toolchain with the kubernetes plugin) on the host, on the
// Node's bridge address, port 53, which the kubelet gives Pods as their nameserver (clusterDNS). It answers
// cluster.local (Services, headless endpoints, Pods) and the reverse zones from the apiserver.
import { freePort, startProcess, toolPath, untilReady, waitUntil, type KubeEnv, type ManagedProcess } from '@bdk/testing';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { grantClusterRole, writeClientKubeconfig } from './node-identity.js';

/** The cluster's DNS domain, as the kubelet tells Pods (clusterDomain). */
export const clusterDomain = 'cluster.local';

export interface ClusterDnsOptions {
  /** The host address it serves on (the Node's bridge address). */
  address: string;
  /** Its own folder: Corefile and identity. */
  dir: string;
}

export interface RunningClusterDns {
  readonly address: string;
  readonly process: ManagedProcess;
  stop(): Promise<void>;
}

/** The Corefile: the zones the kubernetes plugin answers, bound to one address, with health and readiness on loopback. */
export function corefile(options: { address: string; kubeconfig: string; healthPort: number; readyPort: number }): string {
  return `${clusterDomain}:53 in-addr.arpa:53 ip6.arpa:53 {
    bind ${options.address}
    errors
    health 127.0.0.1:${options.healthPort}
    ready 127.0.0.1:${options.readyPort}
    kubernetes ${clusterDomain} in-addr.arpa ip6.arpa {
        kubeconfig ${options.kubeconfig}
        pods insecure
    }
    cache 5
}
`;
}

/** The ClusterRole CoreDNS's kubernetes plugin needs (as the system:coredns role of a kubeadm cluster). */
const corednsRules = [
  { apiGroups: [''], resources: ['endpoints', 'services', 'pods', 'namespaces'], verbs: ['list', 'watch'] },
  { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
];

/** Starts CoreDNS and resolves once its kubernetes plugin has synced (/ready answers 200). */
export async function startClusterDns(kube: KubeEnv, options: ClusterDnsOptions): Promise<RunningClusterDns> {
  await mkdir(options.dir, { recursive: true });
  const user = 'bdk-e2e:coredns';
  const kubeconfig = await writeClientKubeconfig(kube, { user, dir: options.dir, name: 'coredns' });
  const revoke = await grantClusterRole(kube.kubeConfig, { binding: 'bdk-e2e-coredns', user, role: 'bdk-e2e-coredns', rules: corednsRules });
  const [healthPort, readyPort] = [await freePort(), await freePort()];
  const config = path.join(options.dir, 'Corefile');
  await writeFile(config, corefile({ address: options.address, kubeconfig, healthPort, readyPort }));
  const proc = startProcess('coredns', toolPath('coredns'), ['-conf', config], { keepLines: 300 });
  try {
    await untilReady(proc, waitUntil('CoreDNS /ready', async () => (await fetch(`http://127.0.0.1:${readyPort}/ready`)).status === 200, { timeoutMs: 60_000, intervalMs: 250 }));
  } catch (error) {
    await proc.stop();
    await revoke();
    throw new Error(`${error instanceof Error ? error.message : String(error)}\nCoreDNS output:\n${proc.output()}`, { cause: error });
  }
  return {
    address: options.address,
    process: proc,
    async stop() {
      await proc.stop(10_000);
      await revoke();
    },
  };
}
