// The Linux bridge a test Node's Pods join (the CNI bridge plugin attaches their veths to it), made before the
// cluster starts when the host must already have the bridge's address: kube-apiserver, CoreDNS and kube-proxy's
// Service rules serve Pods there, since a Pod cannot reach the host's loopback.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The bridge's name. */
export const bridgeName = 'bdknode0';
/** The Pods' addresses (host-local IPAM). */
export const podSubnet = '10.231.0.0/24';
/** The host's address on the bridge: the Pods' gateway, and where the host serves them. */
export const bridgeAddress = '10.231.0.1';

async function ip(args: string[]): Promise<void> {
  await run('ip', args).catch((error: unknown) => {
    throw new Error(`ip ${args.join(' ')} failed: ${(error as { stderr?: string }).stderr?.trim() ?? String(error)}`);
  });
}

/** Whether the bridge exists. */
export async function bridgeExists(): Promise<boolean> {
  return run('ip', ['link', 'show', bridgeName]).then(
    () => true,
    () => false,
  );
}

/**
 * Makes the bridge with the host's address on it and brings it up; refuses when it exists already (another test
 * Node's, or one a killed run left: `ip link delete bdknode0`).
 */
export async function createNodeBridge(): Promise<void> {
  if (await bridgeExists()) throw new Error(`the bridge ${bridgeName} exists already: another test Node runs here, or a killed run left it (ip link delete ${bridgeName})`);
  await ip(['link', 'add', bridgeName, 'type', 'bridge']);
  try {
    await ip(['addr', 'add', `${bridgeAddress}/24`, 'dev', bridgeName]);
    await ip(['link', 'set', bridgeName, 'up']);
  } catch (error) {
    await deleteNodeBridge();
    throw error;
  }
}

/** Deletes the bridge, if it is there. */
export async function deleteNodeBridge(): Promise<void> {
  await run('ip', ['link', 'delete', bridgeName]).catch(() => undefined);
}
