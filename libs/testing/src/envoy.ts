import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { startProcess, untilReady, type ManagedProcess } from './managed-process.js';
import { freePort } from './ports.js';
import { waitUntil } from './wait.js';
import { descriptorSetPath, toolPath, workspaceRoot } from './workspace.js';

export interface EnvoyOptions {
  /** Config file, relative to the workspace root (e.g. envoy/sidecar.yaml). */
  config: string;
  /** Port for each cluster, by cluster name: every endpoint of that cluster becomes 127.0.0.1:<port>. */
  upstreams: Record<string, number>;
  /** Port for each listener, by listener name; listeners not named get a free port. */
  listenerPorts?: Record<string, number>;
  /** Descriptor set for the transcoder; defaults to the generated dist/proto/bdk.binpb. */
  descriptorSet?: string;
}

export interface RunningEnvoy {
  /** Port of each listener, by name. */
  readonly ports: Record<string, number>;
  readonly adminPort: number;
  /** http://127.0.0.1:<port> of the first listener. */
  readonly url: string;
  readonly process: ManagedProcess;
  stop(): Promise<void>;
}

interface SocketAddress {
  address: string;
  port_value: number;
}
interface EnvoyConfig {
  admin: { address: { socket_address: SocketAddress } };
  static_resources: {
    listeners: { name: string; address: { socket_address: SocketAddress } }[];
    clusters: {
      name: string;
      load_assignment: { endpoints: { lb_endpoints: { endpoint: { address: { socket_address: SocketAddress } } }[] }[] };
    }[];
  };
}

export interface RenderedEnvoyConfig {
  /** The config as YAML, ready to write where Envoy reads it. */
  readonly yaml: string;
  readonly adminPort: number;
  /** Port of each listener, by name. */
  readonly ports: Record<string, number>;
  /** Name of the first listener. */
  readonly firstListener: string;
}

/**
 * One of the configs in envoy/, changed only where a test must: the admin endpoint and every listener on a
 * loopback port (given by listener name, else free), every endpoint of a named cluster on 127.0.0.1:<its port>, and
 * the transcoder's descriptor path. An Envoy process (startEnvoy) and an Envoy container alike run what this gives.
 */
export async function renderEnvoyConfig(options: EnvoyOptions): Promise<RenderedEnvoyConfig> {
  const config = parse(await readFile(path.join(workspaceRoot, options.config), 'utf8')) as EnvoyConfig;
  const adminPort = await freePort();
  config.admin.address.socket_address = { address: '127.0.0.1', port_value: adminPort };

  const ports: Record<string, number> = {};
  for (const listener of config.static_resources.listeners) {
    const port = options.listenerPorts?.[listener.name] ?? (await freePort());
    listener.address.socket_address = { address: '127.0.0.1', port_value: port };
    ports[listener.name] = port;
  }
  for (const cluster of config.static_resources.clusters) {
    const port = options.upstreams[cluster.name];
    if (port === undefined) continue;
    for (const group of cluster.load_assignment.endpoints) {
      for (const { endpoint } of group.lb_endpoints) endpoint.address.socket_address = { address: '127.0.0.1', port_value: port };
    }
  }
  replaceEverywhere(config, 'proto_descriptor', options.descriptorSet ?? descriptorSetPath());
  return { yaml: stringify(config), adminPort, ports, firstListener: config.static_resources.listeners[0]?.name ?? '' };
}

/**
 * Runs the real Envoy binary with one of the configs in envoy/ (renderEnvoyConfig). Resolves once the admin
 * endpoint reports the server live.
 */
export async function startEnvoy(options: EnvoyOptions): Promise<RunningEnvoy> {
  const { yaml, adminPort, ports, firstListener } = await renderEnvoyConfig(options);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bdk-envoy-'));
  const file = path.join(dir, path.basename(options.config));
  await writeFile(file, yaml);
  // --disable-hot-restart: several Envoys may run at once, and hot restart would make them share memory.
  const proc = startProcess('envoy', toolPath('envoy'), ['-c', file, '--disable-hot-restart', '--log-level', 'warn']);
  const stop = async () => {
    await proc.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await untilReady(
      proc,
      waitUntil('envoy admin /ready', async () => (await fetch(`http://127.0.0.1:${adminPort}/ready`)).status === 200),
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { ports, adminPort, url: `http://127.0.0.1:${ports[firstListener]}`, process: proc, stop };
}

/** Sets every `key` in a parsed config to `value`, however deep (each transcoder filter's descriptor path). */
function replaceEverywhere(node: unknown, key: string, value: string): void {
  if (Array.isArray(node)) {
    for (const item of node) replaceEverywhere(item, key, value);
  } else if (node !== null && typeof node === 'object') {
    const record = node as Record<string, unknown>;
    for (const [name, child] of Object.entries(record)) {
      if (name === key) record[name] = value;
      else replaceEverywhere(child, key, value);
    }
  }
}
