// An Envoy config of envoy/ as a container reads it: changed only where a test on the host network must (every
// listener and the admin endpoint on its own loopback port, every upstream on loopback); the descriptor path
// stays the charts' /etc/bdk/proto/bdk.binpb, where the test mounts the generated descriptor set. The same
// changes as libs/testing's startEnvoy makes for an Envoy process.
import { freePort, workspaceRoot } from '@bdk/testing';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse, stringify } from 'yaml';

interface SocketAddress {
  address: string;
  port_value: number;
}
interface EnvoyConfig {
  admin: { address: { socket_address: SocketAddress } };
  static_resources: {
    listeners: { name: string; address: { socket_address: SocketAddress } }[];
    clusters: { name: string; load_assignment: { endpoints: { lb_endpoints: { endpoint: { address: { socket_address: SocketAddress } } }[] }[] } }[];
  };
}

export interface RenderedEnvoyConfig {
  file: string;
  adminPort: number;
  /** Port of each listener, by name. */
  ports: Record<string, number>;
}

/**
 * Writes `config` (relative to the workspace root) to `file` with loopback ports: upstream ports by cluster name,
 * `listenerPort` for the first listener (a free port when left out), a free port for every other one.
 */
export async function renderEnvoyConfig(config: string, file: string, upstreams: Record<string, number>, listenerPort?: number): Promise<RenderedEnvoyConfig> {
  const parsed = parse(await readFile(path.join(workspaceRoot, config), 'utf8')) as EnvoyConfig;
  const adminPort = await freePort();
  parsed.admin.address.socket_address = { address: '127.0.0.1', port_value: adminPort };
  const ports: Record<string, number> = {};
  for (const [index, listener] of parsed.static_resources.listeners.entries()) {
    const port = index === 0 && listenerPort !== undefined ? listenerPort : await freePort();
    listener.address.socket_address = { address: '127.0.0.1', port_value: port };
    ports[listener.name] = port;
  }
  for (const cluster of parsed.static_resources.clusters) {
    const port = upstreams[cluster.name];
    if (port === undefined) throw new Error(`${config}: no upstream port for cluster ${cluster.name}`);
    for (const group of cluster.load_assignment.endpoints) {
      for (const { endpoint } of group.lb_endpoints) endpoint.address.socket_address = { address: '127.0.0.1', port_value: port };
    }
  }
  await writeFile(file, stringify(parsed), { mode: 0o644 });
  return { file, adminPort, ports };
}
