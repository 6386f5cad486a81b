// The README's first command: `npm start`'s local stack (the built dist/tools/local-stack/main.js) comes up
// with a Kubernetes API serving BDK's CRDs and the three apps healthy on their ports, and Ctrl-C (SIGINT)
// takes every process down again.
import { ApiextensionsV1Api, KubeConfig } from '@kubernetes/client-node';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { afterAll, describe, expect, it } from '@jest/globals';
import { health } from '@bdk/proto';
import { freePort, startKubeEnv, startProcess, waitUntil, workspaceRoot, type ManagedProcess } from '@bdk/testing';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const cleanup: (() => Promise<unknown>)[] = [];

afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
});

interface Stack {
  process: ManagedProcess;
  /** What it printed up to "Ctrl-C stops everything". */
  output: string;
  stateDir: string;
}

/** Starts the built local stack (dist/tools/local-stack/main.js) and resolves once it says it is up. */
async function startStack(env: NodeJS.ProcessEnv): Promise<Stack> {
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'bdk-local-stack-'));
  cleanup.push(() => rm(stateDir, { recursive: true, force: true }));
  const basePort = await freePortRun();
  const proc = startProcess('local-stack', process.execPath, [path.join(workspaceRoot, 'dist/tools/local-stack/main.js')], {
    env: { ...env, BDK_GRPC_BASE_PORT: String(basePort), BDK_LOCAL_STACK_DIR: stateDir },
  });
  cleanup.push(() => proc.stop());
  const output = await waitUntil('the local stack to report it is up', () => proc.output().includes('Ctrl-C stops everything') && proc.output(), {
    timeoutMs: 150_000,
    intervalMs: 250,
  });
  return { process: proc, output, stateDir };
}

/** Ctrl-C, and the exit code. */
async function interrupt(stack: Stack): Promise<number | null> {
  process.kill(stack.process.pid, 'SIGINT');
  return stack.process.exited;
}

async function crdNames(kubeConfig: KubeConfig): Promise<string[]> {
  const crds = await kubeConfig.makeApiClient(ApiextensionsV1Api).listCustomResourceDefinition();
  return crds.items.map((c) => c.metadata?.name ?? '').sort();
}

const bdkCrds = ['bookdefinitions.bdk.voyager.io', 'bookinstancedefinitions.bdk.voyager.io', 'externalbookdefinitions.bdk.voyager.io'];

/** A base port whose next two ports are free too. */
async function freePortRun(): Promise<number> {
  return waitUntil('three free consecutive ports', async () => {
    const base = await freePort();
    const free = await Promise.all([1, 2].map((offset) => isFree(base + offset)));
    return free.every(Boolean) ? base : undefined;
  });
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer().once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => socket.destroy() && resolve(true)).once('error', () => resolve(false));
  });
}

describe('the local stack (npm start)', () => {
  it('starts the Kubernetes API with CRDs and the three apps, and stops them all on Ctrl-C', async () => {
    const { KUBECONFIG: _ownCluster, ...env } = process.env; // the embedded API, not a cluster of the caller's
    const stack = await startStack(env);
    const { output, stateDir } = stack;

    const kubeconfig = /export KUBECONFIG=(\S+)/.exec(output)?.[1] ?? '';
    expect(kubeconfig).toBe(path.join(stateDir, 'kube', 'kubeconfig'));
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(kubeconfig);
    expect(await crdNames(kubeConfig)).toEqual(bdkCrds);

    const basePort = Number(/gRPC 127\.0\.0\.1:(\d+)/.exec(output)?.[1]);
    const ports = [basePort, basePort + 1, basePort + 2];
    for (const port of ports) {
      const client = createClient(health.Health, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
      expect((await client.check({ service: '' })).status).toBe(health.HealthCheckResponse_ServingStatus.SERVING);
    }
    const apiserverPort = Number(new URL(kubeConfig.getCurrentCluster()?.server ?? '').port);

    expect(await interrupt(stack)).toBe(0);
    for (const port of [...ports, apiserverPort]) expect(await listening(port)).toBe(false);
    expect(existsSync(path.join(stateDir, 'kube'))).toBe(false);
  }, 200_000);

  it('uses the cluster KUBECONFIG names instead, applying the CRDs there (again, if they exist)', async () => {
    const cluster = await startKubeEnv({ installCrds: false });
    cleanup.push(() => cluster.stop());
    const env = { ...process.env, KUBECONFIG: cluster.kubeconfigPath };
    const first = await startStack(env);
    expect(first.output).toContain(`using the cluster in KUBECONFIG (${cluster.server})`);
    expect(await crdNames(cluster.kubeConfig)).toEqual(bdkCrds);
    expect(await interrupt(first)).toBe(0);

    // A second start finds the CRDs in place and replaces them.
    expect(await interrupt(await startStack(env))).toBe(0);
    expect(await crdNames(cluster.kubeConfig)).toEqual(bdkCrds);
  }, 200_000);
});
