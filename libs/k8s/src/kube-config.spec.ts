// Also the proof that Jest runs TypeScript ESM importing the ESM-only @kubernetes/client-node.
import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadKubeConfig } from './kube-config.js';

describe('loadKubeConfig', () => {
  const saved = { KUBECONFIG: process.env['KUBECONFIG'], HOME: process.env['HOME'] };
  let dir: string | undefined;

  afterEach(async () => {
    process.env['KUBECONFIG'] = saved.KUBECONFIG ?? '';
    if (saved.KUBECONFIG === undefined) delete process.env['KUBECONFIG'];
    process.env['HOME'] = saved.HOME;
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reads the cluster named by $KUBECONFIG', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'bdk-kubeconfig-'));
    const file = path.join(dir, 'config');
    await writeFile(
      file,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:6443' } }],
        users: [{ name: 'u', user: { token: 't' } }],
        contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'x',
      }),
    );
    process.env['KUBECONFIG'] = file;
    expect(loadKubeConfig().getCurrentCluster()?.server).toBe('https://127.0.0.1:6443');
  });

  it('fails with a clear message when no cluster is configured', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'bdk-kubeconfig-'));
    delete process.env['KUBECONFIG'];
    process.env['HOME'] = dir;
    expect(() => loadKubeConfig()).toThrow(/no Kubernetes cluster configured/);
  });
});
