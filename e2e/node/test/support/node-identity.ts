// A kubelet's identity in the test cluster: a client certificate system:node:<name> in group system:nodes, signed
// by the cluster's CA, and the permissions of the built-in system:node ClusterRole. The test apiserver authorizes
// with RBAC only (no Node authorizer), where that role is bound to no one: the binding here grants it to this Node.
import { RbacAuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { KubeEnv } from '@bdk/testing';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function openssl(args: string[]): Promise<void> {
  await run('openssl', args).catch((error: unknown) => {
    throw new Error(`openssl ${args[0]} failed: ${(error as { stderr?: string }).stderr ?? String(error)}`);
  });
}

/** Issues the Node's client certificate and writes a kubeconfig with it; resolves with the kubeconfig's path. */
export async function writeNodeKubeconfig(kube: KubeEnv, nodeName: string, dir: string): Promise<string> {
  const key = path.join(dir, 'node.key');
  const csr = path.join(dir, 'node.csr');
  const cert = path.join(dir, 'node.crt');
  const extensions = path.join(dir, 'node.ext');
  await writeFile(extensions, ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=clientAuth'].join('\n'));
  await openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=system:node:${nodeName}/O=system:nodes`, '-keyout', key, '-out', csr]);
  await openssl(['x509', '-req', '-in', csr, '-CA', kube.pki.ca.cert, '-CAkey', kube.pki.ca.key, '-CAcreateserial', '-days', '1', '-extfile', extensions, '-out', cert]);
  const base64 = async (file: string) => (await readFile(file)).toString('base64');
  const kubeconfig = path.join(dir, 'kubelet.kubeconfig');
  await writeFile(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'bdk-local', cluster: { server: kube.server, 'certificate-authority-data': await base64(kube.pki.ca.cert) } }],
      users: [{ name: nodeName, user: { 'client-certificate-data': await base64(cert), 'client-key-data': await base64(key) } }],
      contexts: [{ name: 'node', context: { cluster: 'bdk-local', user: nodeName } }],
      'current-context': 'node',
    }),
    { mode: 0o600 },
  );
  return kubeconfig;
}

/** Binds the system:node ClusterRole to the Node's user; resolves with a function that removes the binding. */
export async function grantNodeRole(kubeConfig: KubeConfig, nodeName: string): Promise<() => Promise<void>> {
  const rbac = kubeConfig.makeApiClient(RbacAuthorizationV1Api);
  const name = `bdk-e2e-node-${nodeName}`;
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:node' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: `system:node:${nodeName}` }],
    },
  });
  return async () => {
    await rbac.deleteClusterRoleBinding({ name }).catch(() => undefined);
  };
}
