// The binaries in .tools/ are the versions tools/toolchain/versions.env pins, and say so: kube-apiserver's
// /version and Helm's assumed Kubernetes version come from the build's ldflags.
import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { toolchainVersions, toolPath } from '@bdk/testing';

const run = promisify(execFile);

describe('the toolchain', () => {
  it('has the pinned kube-apiserver, etcd, Envoy, Helm and nats-server', async () => {
    const versions = toolchainVersions();
    for (const component of ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const) {
      expect((await run(toolPath(component), ['--version'])).stdout.trim()).toBe(`Kubernetes v${versions['KUBERNETES_VERSION']}`);
    }
    expect((await run(toolPath('kubectl'), ['version', '--client'])).stdout).toContain(`Client Version: v${versions['KUBERNETES_VERSION']}`);
    expect((await run(toolPath('kwok'), ['--version'])).stdout).toContain(versions['KWOK_VERSION'] ?? 'KWOK_VERSION');
    expect((await run(toolPath('etcd'), ['--version'])).stdout).toContain(`etcd Version: ${versions['ETCD_VERSION']}`);
    expect((await run(toolPath('envoy'), ['--version'])).stdout).toContain(`/${versions['ENVOY_VERSION']}/`);
    expect((await run(toolPath('helm'), ['version', '--short'])).stdout.trim()).toMatch(new RegExp(`^v${versions['HELM_VERSION']}`));
    expect((await run(toolPath('nats-server'), ['--version'])).stdout.trim()).toBe(`nats-server: v${versions['NATS_SERVER_VERSION']}`);
  });

  it('builds Helm to assume the pinned Kubernetes minor, not its default 1.20', async () => {
    const versions = toolchainVersions();
    const minor = versions['KUBERNETES_VERSION']?.split('.')[1];
    const chart = await mkdtemp(path.join(os.tmpdir(), 'bdk-helm-'));
    try {
      await mkdir(path.join(chart, 'templates'));
      await writeFile(path.join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: probe\nversion: 0.1.0\n');
      await writeFile(
        path.join(chart, 'templates', 'version.yaml'),
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: probe\ndata:\n  kube: {{ .Capabilities.KubeVersion.Version | quote }}\n',
      );
      const { stdout } = await run(toolPath('helm'), ['template', chart]);
      expect(stdout).toContain(`kube: "v1.${minor}.0"`);
    } finally {
      await rm(chart, { recursive: true, force: true });
    }
  });
});
