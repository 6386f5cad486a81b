// The README's first command: `npm start`'s local stack (the built dist/tools/local-stack/main.js) comes up
// with a Kubernetes API serving BDK's CRDs, the three apps healthy, their Envoy sidecars and the REST gateway,
// and Ctrl-C (SIGINT) takes every process down again.
import { ApiextensionsV1Api, KubeConfig } from '@kubernetes/client-node';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { afterAll, describe, expect, it } from '@jest/globals';
import { health } from '@bdk/proto';
import { startKubeEnv, workspaceRoot } from '@bdk/testing';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { startStack } from './support/local-stack.js';

const cleanup: (() => Promise<unknown>)[] = [];

afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
});

async function crdNames(kubeConfig: KubeConfig): Promise<string[]> {
  const crds = await kubeConfig.makeApiClient(ApiextensionsV1Api).listCustomResourceDefinition();
  return crds.items.map((c) => c.metadata?.name ?? '').sort();
}

const bdkCrds = ['bookdefinitions.bdk.voyager.io', 'bookinstancedefinitions.bdk.voyager.io', 'externalbookdefinitions.bdk.voyager.io'];

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => socket.destroy() && resolve(true)).once('error', () => resolve(false));
  });
}

/** Every 127.0.0.1 port the stack printed. */
function printedPorts(output: string): number[] {
  return [...output.matchAll(/127\.0\.0\.1:(\d+)/g)].map((match) => Number(match[1]));
}

describe('the local stack (npm start)', () => {
  it('starts the Kubernetes API with CRDs, the apps, their sidecars and the gateway, and stops them all on Ctrl-C', async () => {
    const { KUBECONFIG: _ownCluster, ...env } = process.env; // the embedded API, not a cluster of the caller's
    const stack = await startStack(env);
    cleanup.push(() => stack.stop());
    const { output, stateDir } = stack;

    expect(stack.kubeconfig).toBe(path.join(stateDir, 'kube', 'kubeconfig'));
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(stack.kubeconfig);
    expect(await crdNames(kubeConfig)).toEqual(bdkCrds);

    for (const app of ['library-service', 'book-controller', 'webhook-router']) {
      const port = Number(new RegExp(`${app}\\s+gRPC 127\\.0\\.0\\.1:(\\d+)`).exec(output)?.[1]);
      const client = createClient(health.Health, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
      expect((await client.check({ service: '' })).status).toBe(health.HealthCheckResponse_ServingStatus.SERVING);
    }
    // The gateway reaches the library-service through its sidecar, which wants a token: the one the README's
    // `npm run --silent token -- --org <org>` prints from the stack's signing key.
    expect((await fetch(`${stack.gatewayUrl}/api/v1/books`)).status).toBe(401);
    const printed = execFileSync(process.execPath, [path.join(workspaceRoot, 'dist/tools/token.js'), '--org', 'acme'], {
      env: { ...process.env, BDK_LOCAL_STACK_DIR: stateDir },
      encoding: 'utf8',
    });
    expect(printed).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    expect((await fetch(`${stack.gatewayUrl}/api/v1/books`, { headers: { authorization: `Bearer ${printed.trim()}` } })).status).toBe(200);
    expect(output).toContain('npm run --silent token -- --org');
    expect(await (await fetch(`${stack.gatewayUrl}/api/v2`)).json()).toEqual({ code: 5, message: 'no BDK API at /api/v2' });

    const ports = printedPorts(output);
    expect(ports.length).toBeGreaterThanOrEqual(11); // gateway, apiserver, 3 × (gRPC, metrics), 2 sidecars, book stand-in
    const apiserverPort = Number(new URL(kubeConfig.getCurrentCluster()?.server ?? '').port);
    expect(ports).toContain(apiserverPort);

    expect(await stack.interrupt()).toBe(0);
    for (const port of ports) expect(await listening(port)).toBe(false);
    expect(existsSync(path.join(stateDir, 'kube', 'etcd'))).toBe(true); // kept for the next start
  }, 200_000);

  it('uses the cluster KUBECONFIG names instead, applying the CRDs there (again, if they exist)', async () => {
    const cluster = await startKubeEnv({ installCrds: false });
    cleanup.push(() => cluster.stop());
    const env = { ...process.env, KUBECONFIG: cluster.kubeconfigPath };
    const first = await startStack(env);
    cleanup.push(() => first.stop());
    expect(first.output).toContain(`using the cluster in KUBECONFIG (${cluster.server})`);
    expect(first.kubeconfig).toBe(cluster.kubeconfigPath);
    expect(await crdNames(cluster.kubeConfig)).toEqual(bdkCrds);
    expect(await first.interrupt()).toBe(0);

    // A second start finds the CRDs in place and replaces them.
    const second = await startStack(env);
    cleanup.push(() => second.stop());
    expect(await second.interrupt()).toBe(0);
    expect(await crdNames(cluster.kubeConfig)).toEqual(bdkCrds);
  }, 200_000);
});
