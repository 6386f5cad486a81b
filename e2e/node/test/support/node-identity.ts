// Identities of a test Node's components in the test cluster: client certificates signed by the cluster's CA
// (system:node:<name> in system:nodes for the kubelet, system:kube-proxy, CoreDNS's own user) and their RBAC. The
// test apiserver authorizes with RBAC only (no Node authorizer), where the built-in system:node ClusterRole is bound
// to no one: grantClusterRole binds it to the Node.
import { RbacAuthorizationV1Api, type KubeConfig, type V1PolicyRule } from '@kubernetes/client-node';
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

export interface ClientIdentity {
  /** The user name (the certificate's CN). */
  user: string;
  /** Its groups (the certificate's O). */
  groups?: string[];
  /** The folder its key, certificate and kubeconfig go to. */
  dir: string;
  /** The files' base name. */
  name: string;
}

/** Issues a client certificate for the identity and writes a kubeconfig with it; resolves with the kubeconfig's path. */
export async function writeClientKubeconfig(kube: KubeEnv, identity: ClientIdentity): Promise<string> {
  const file = (extension: string) => path.join(identity.dir, `${identity.name}.${extension}`);
  await writeFile(file('ext'), ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=clientAuth'].join('\n'));
  const subject = [`/CN=${identity.user}`, ...(identity.groups ?? []).map((group) => `/O=${group}`)].join('');
  await openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', subject, '-keyout', file('key'), '-out', file('csr')]);
  await openssl(['x509', '-req', '-in', file('csr'), '-CA', kube.pki.ca.cert, '-CAkey', kube.pki.ca.key, '-CAcreateserial', '-days', '1', '-extfile', file('ext'), '-out', file('crt')]);
  const base64 = async (name: string) => (await readFile(name)).toString('base64');
  const kubeconfig = file('kubeconfig');
  await writeFile(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'bdk-local', cluster: { server: kube.server, 'certificate-authority-data': await base64(kube.pki.ca.cert) } }],
      users: [{ name: identity.user, user: { 'client-certificate-data': await base64(file('crt')), 'client-key-data': await base64(file('key')) } }],
      contexts: [{ name: identity.name, context: { cluster: 'bdk-local', user: identity.user } }],
      'current-context': identity.name,
    }),
    { mode: 0o600 },
  );
  return kubeconfig;
}

/** The kubelet's identity: system:node:<name> in system:nodes. */
export function writeNodeKubeconfig(kube: KubeEnv, nodeName: string, dir: string): Promise<string> {
  return writeClientKubeconfig(kube, { user: `system:node:${nodeName}`, groups: ['system:nodes'], dir, name: 'kubelet' });
}

/**
 * Binds a ClusterRole to a user: an existing one (`role`), or one made here from `rules`. Resolves with a function
 * that removes what it made.
 */
export async function grantClusterRole(kubeConfig: KubeConfig, grant: { binding: string; user: string; role: string; rules?: V1PolicyRule[] }): Promise<() => Promise<void>> {
  const rbac = kubeConfig.makeApiClient(RbacAuthorizationV1Api);
  if (grant.rules) await rbac.createClusterRole({ body: { metadata: { name: grant.role }, rules: grant.rules } });
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name: grant.binding },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: grant.role },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: grant.user }],
    },
  });
  return async () => {
    await rbac.deleteClusterRoleBinding({ name: grant.binding }).catch(() => undefined);
    if (grant.rules) await rbac.deleteClusterRole({ name: grant.role }).catch(() => undefined);
  };
}

/** Binds the built-in system:node ClusterRole to the Node's user; resolves with a function that removes the binding. */
export function grantNodeRole(kubeConfig: KubeConfig, nodeName: string): Promise<() => Promise<void>> {
  return grantClusterRole(kubeConfig, { binding: `bdk-e2e-node-${nodeName}`, user: `system:node:${nodeName}`, role: 'system:node' });
}
