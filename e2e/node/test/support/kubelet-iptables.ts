// The iptables chains a kubelet adds at start and never removes (KUBE-FIREWALL with its INPUT and OUTPUT jumps, the
// canary and hint chains), for IPv4 and IPv6. A test Node removes them when it stops, unless they were there before it
// started (another kubelet's).
import { execFile } from 'node:child_process';

type Family = 'iptables' | 'ip6tables';

const families: Family[] = ['iptables', 'ip6tables'];

function iptables(family: Family, args: string[]): Promise<boolean> {
  return new Promise((resolve) => execFile(family, ['-w', '5', ...args], (error) => resolve(!error)));
}

/** Whether any family has the kubelet's chains now. */
export async function kubeletChainsPresent(): Promise<boolean> {
  for (const family of families) {
    if (await iptables(family, ['-t', 'filter', '-n', '-L', 'KUBE-KUBELET-CANARY'])) return true;
  }
  return false;
}

/** Removes the kubelet's jumps and chains; whatever is already gone is skipped. */
export async function removeKubeletChains(): Promise<void> {
  for (const family of families) {
    for (const hook of ['INPUT', 'OUTPUT']) {
      while (await iptables(family, ['-t', 'filter', '-D', hook, '-j', 'KUBE-FIREWALL'])) {
        // A jump is removed once per call; a kubelet restarted in between may have added it twice.
      }
    }
    await iptables(family, ['-t', 'filter', '-F', 'KUBE-FIREWALL']);
    await iptables(family, ['-t', 'filter', '-X', 'KUBE-FIREWALL']);
    for (const table of ['filter', 'nat', 'mangle']) await iptables(family, ['-t', table, '-X', 'KUBE-KUBELET-CANARY']);
    await iptables(family, ['-t', 'mangle', '-X', 'KUBE-IPTABLES-HINT']);
  }
}
