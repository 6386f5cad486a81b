// The harness's nats-server: real JetStream on file storage, on loopback; what was acknowledged survives kill()
// and restart() on the same port and store dir, and stop() leaves nothing behind.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { jetstreamManager, StorageType } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { promisify } from 'node:util';
import { startNatsServer, toolchainVersions, toolPath, type RunningNatsServer } from '../src/index.js';

let server: RunningNatsServer;

beforeAll(async () => {
  server = await startNatsServer();
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

async function withClient<T>(use: (nc: NatsConnection) => Promise<T>): Promise<T> {
  const nc = await connect({ servers: server.url, timeout: 5_000 });
  try {
    return await use(nc);
  } finally {
    await nc.close();
  }
}

const portIsOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

describe('startNatsServer', () => {
  it('runs the pinned nats-server with JetStream enabled, on loopback', async () => {
    const { stdout } = await promisify(execFile)(toolPath('nats-server'), ['--version']);
    expect(stdout.trim()).toBe(`nats-server: v${toolchainVersions()['NATS_SERVER_VERSION']}`);
    expect(server.url).toBe(`nats://127.0.0.1:${server.port}`);
    const varz = (await (await fetch(`${server.monitorUrl}/varz`)).json()) as { host: string; jetstream?: { config?: { store_dir?: string } } };
    expect(varz.host).toBe('127.0.0.1');
    expect(varz.jetstream?.config?.store_dir).toContain(server.storeDir);
  });

  it('keeps what JetStream acknowledged across a SIGKILL and a restart on the same port and store dir', async () => {
    await withClient(async (nc) => {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: 'HARNESS', subjects: ['harness.>'], storage: StorageType.File });
      await jsm.jetstream().publish('harness.kept', 'before the crash');
    });

    await server.kill();
    expect(await portIsOpen(server.port)).toBe(false);
    await server.restart();

    const kept = await withClient(async (nc) => {
      const jsm = await jetstreamManager(nc);
      return (await jsm.streams.getMessage('HARNESS', { last_by_subj: 'harness.kept' }))?.string();
    });
    expect(kept).toBe('before the crash');

    // A graceful restart too, from a running server.
    await server.restart();
    expect(await withClient(async (nc) => (await (await jetstreamManager(nc)).streams.info('HARNESS')).state.messages)).toBe(1);
  });

  it('removes the store dir it made and frees its ports on stop', async () => {
    const other = await startNatsServer();
    await other.stop();
    expect(existsSync(other.storeDir)).toBe(false);
    expect(await portIsOpen(other.port)).toBe(false);
    await other.stop();
  });
});
