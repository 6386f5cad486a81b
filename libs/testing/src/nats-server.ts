import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startProcess, untilReady, type ManagedProcess } from './managed-process.js';
import { freePort, withFreshPorts } from './ports.js';
import { waitUntil } from './wait.js';
import { toolPath } from './workspace.js';

export interface NatsServerOptions {
  /** Keep JetStream's files here (kept on stop) instead of a new temp dir that stop() removes. */
  storeDir?: string;
  /** The client port; a free loopback port when left out. */
  port?: number;
}

export interface RunningNatsServer {
  /** nats://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  /** http://127.0.0.1:<port> of the monitoring endpoints (/healthz, /varz, /jsz). */
  readonly monitorUrl: string;
  /** JetStream's file storage. */
  readonly storeDir: string;
  /** Stops the server (SIGTERM, then SIGKILL) and removes the store dir when it made it. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash would: nothing is flushed; the store dir stays for restart(). */
  kill(): Promise<void>;
  /** Starts the server again on the same ports and store dir, stopping it first if it still runs. */
  restart(): Promise<void>;
}

/**
 * Starts the toolchain's nats-server with JetStream (file storage) on free loopback ports and waits until
 * JetStream is enabled, which for a server started on an existing store dir means its streams are recovered.
 */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<RunningNatsServer> {
  const ownsStore = options.storeDir === undefined;
  const storeDir = options.storeDir ?? (await mkdtemp(path.join(os.tmpdir(), 'bdk-nats-')));
  let proc: ManagedProcess | undefined;

  const launch = async (client: number, monitor: number) => {
    const started = startProcess('nats-server', toolPath('nats-server'), [
      '--addr=127.0.0.1',
      `--port=${client}`,
      `--http_port=${monitor}`,
      '--jetstream',
      `--store_dir=${storeDir}`,
    ]);
    try {
      await untilReady(started, untilHealthy(client, monitor));
    } catch (error) {
      await started.stop();
      throw error;
    }
    proc = started;
    return { client, monitor };
  };

  let ports: { client: number; monitor: number };
  try {
    ports = await withFreshPorts(async () => launch(options.port ?? (await freePort()), await freePort()));
  } catch (error) {
    if (ownsStore) await rm(storeDir, { recursive: true, force: true });
    throw error;
  }
  const { client, monitor } = ports;

  return {
    url: `nats://127.0.0.1:${client}`,
    port: client,
    monitorUrl: `http://127.0.0.1:${monitor}`,
    storeDir,
    async stop() {
      await proc?.stop();
      proc = undefined;
      if (ownsStore) await rm(storeDir, { recursive: true, force: true });
    },
    async kill() {
      if (proc) {
        try {
          process.kill(proc.pid, 'SIGKILL');
        } catch {
          // It had exited already.
        }
        await proc.exited;
      }
      proc = undefined;
    },
    async restart() {
      await proc?.stop();
      proc = undefined;
      await launch(client, monitor);
    },
  };
}

/** JetStream enabled (the monitoring port says so) and the client port accepting connections. */
function untilHealthy(client: number, monitor: number): Promise<unknown> {
  return waitUntil(
    'nats-server /healthz?js-enabled-only=true',
    async () => {
      const response = await fetch(`http://127.0.0.1:${monitor}/healthz?js-enabled-only=true`);
      return response.ok && (await accepts(client));
    },
    { timeoutMs: 30_000, intervalMs: 50 },
  );
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
