import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { health } from '@bdk/proto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { startProcess, untilReady, type ManagedProcess } from './managed-process.js';
import { freePort } from './ports.js';
import { waitUntil } from './wait.js';
import { workspaceRoot } from './workspace.js';

export interface RunningApp {
  readonly grpcPort: number;
  /** The admin HTTP port: /metrics, /healthz, /readyz. */
  readonly adminPort: number;
  readonly process: ManagedProcess;
  /** grpc.health.v1 status of `service` ("" is the whole server). */
  healthStatus(service?: string): Promise<health.HealthCheckResponse_ServingStatus>;
  /** SIGTERM, and the exit code once the app has shut down. */
  stop(): Promise<number | null>;
}

/** Fixed ports for an app; each one left out is a free loopback port. */
export interface AppPorts {
  grpc?: number;
  admin?: number;
}

/**
 * Runs an app's built bundle (dist/apps/<app>/main.js, from `nx build <app>`) as its own process on loopback
 * and resolves once it reports SERVING over gRPC health.
 */
export async function startApp(app: string, env: Record<string, string> = {}, ports: AppPorts = {}): Promise<RunningApp> {
  const main = path.join(workspaceRoot, 'dist', 'apps', app, 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`npx nx build ${app}\``);
  const grpcPort = ports.grpc ?? (await freePort());
  const adminPort = ports.admin ?? (await freePort());
  const proc = startProcess(app, process.execPath, ['--enable-source-maps', main], {
    env: { ...process.env, GRPC_HOST: '127.0.0.1', GRPC_PORT: String(grpcPort), ADMIN_PORT: String(adminPort), ...env },
  });
  const client = createClient(health.Health, createGrpcTransport({ baseUrl: `http://127.0.0.1:${grpcPort}` }));
  const healthStatus = async (service = '') => (await client.check({ service }, { timeoutMs: 2_000 })).status;
  try {
    await untilReady(
      proc,
      waitUntil(`${app} to report SERVING`, async () => (await healthStatus()) === health.HealthCheckResponse_ServingStatus.SERVING),
    );
  } catch (error) {
    await proc.stop();
    throw error;
  }
  return {
    grpcPort,
    adminPort,
    process: proc,
    healthStatus,
    async stop() {
      await proc.stop();
      return proc.exited;
    },
  };
}
