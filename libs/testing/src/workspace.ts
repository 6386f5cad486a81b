import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The monorepo root (the folder holding nx.json). */
export const workspaceRoot = path.resolve(import.meta.dirname, '../../..');

const toolsBin = process.env['BDK_TOOLS_DIR']
  ? path.join(process.env['BDK_TOOLS_DIR'], 'bin')
  : path.join(workspaceRoot, '.tools', 'bin');

/** The binaries tools/install-toolchain.sh installs. */
export type Tool = 'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'kubectl' | 'kwok' | 'envoy' | 'helm' | 'helm4' | 'helm-docs' | 'kubelet' | 'kube-proxy' | 'coredns' | 'nats-server' | 'promtool' | 'protoc-gen-openapi' | 'schemathesis';

/**
 * Absolute path of a toolchain binary. Throws, never skips: a test that needs a real component fails loudly
 * when it is missing.
 */
export function toolPath(tool: Tool): string {
  const file = path.join(toolsBin, tool);
  if (!existsSync(file)) {
    throw new Error(`${tool} is not installed at ${file}: run \`npm run toolchain\` (tools/install-toolchain.sh)`);
  }
  return file;
}

/** Path of the Envoy descriptor set written by `nx run proto:generate`. */
export function descriptorSetPath(): string {
  const file = path.join(workspaceRoot, 'dist', 'proto', 'bdk.binpb');
  if (!existsSync(file)) {
    throw new Error(`descriptor set missing at ${file}: run \`npx nx run proto:generate\``);
  }
  return file;
}

/** The versions tools/toolchain/versions.env pins (KUBERNETES_VERSION, ETCD_VERSION, ...). */
export function toolchainVersions(): Record<string, string> {
  const text = readFileSync(path.join(workspaceRoot, 'tools', 'toolchain', 'versions.env'), 'utf8');
  return Object.fromEntries(
    text
      .split('\n')
      .map((line) => /^([A-Z_]+)=(\S+)/.exec(line))
      .filter((match) => match !== null)
      .map((match) => [match[1], match[2]]),
  );
}
