import { ApiextensionsV1Api, CoreV1Api, KubeConfig, loadYaml, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createCertificateAuthority, createServiceAccountKeys, issueCertificate, type ClusterPki, type KeyPairFiles } from './certificates.js';
import { startControllerManager, startScheduler, type ClusterAccess, type RunningComponent } from './control-plane.js';
import { kubeGet } from './kube-request.js';
import { createFakeNodes, startKwok, type FakeNodeShape } from './kwok.js';
import { readyOrStopped, startProcess, type ManagedProcess } from './managed-process.js';
import { freePort, withFreshPorts } from './ports.js';
import { waitUntil } from './wait.js';
import { toolPath, workspaceRoot } from './workspace.js';

/** Where BDK's CustomResourceDefinitions are stored once (installed by the umbrella chart, applied here). */
export const crdDirectory = path.join(workspaceRoot, 'charts', 'bdk', 'crds');

export interface KubeEnv {
  /** https://<address>:<port> (127.0.0.1 unless `address` says otherwise) */
  readonly server: string;
  /** An admin (system:masters) kubeconfig file, for tools and child processes. */
  readonly kubeconfigPath: string;
  readonly kubeConfig: KubeConfig;
  /** The cluster's CA, serving certificate and ServiceAccount signing key (files), for more components. */
  readonly pki: ClusterPki;
  /** The fake Nodes Pods run on (`workloads`); none otherwise. */
  readonly nodes: readonly string[];
  /** Stops every process it started (kwok, scheduler, controller-manager, kube-apiserver, etcd) and removes every file they wrote. Idempotent. */
  stop(): Promise<void>;
}

export interface KubeEnvOptions {
  /** Apply BDK's CRDs and wait until they are established (default true). */
  installCrds?: boolean;
  /** Keep files somewhere other than a new temp dir (the local stack keeps them in .local-stack/). */
  directory?: string;
  /**
   * Keep the cluster's state in `directory` across stop() and the next start (default false: every start is a new
   * cluster). etcd's data is reused and written with fsync, and the service-account signing key is reused, so
   * ServiceAccount tokens issued before a restart stay valid; the certificates and the kubeconfig are issued anew
   * each start (they are valid for a day and name nothing stored).
   */
  persistent?: boolean;
  /**
   * Run Pods: also start kube-controller-manager (every default controller: Deployments become ReplicaSets and Pods,
   * each namespace gets its `default` ServiceAccount, HPAs scale, owners' deletions cascade), kube-scheduler, and
   * kwok playing the kubelets of fake Nodes (`nodes`; 4 × 32 CPUs, 256Gi, 500 Pods by default). A Pod then turns
   * Running and Ready within a second of being scheduled, with an IP, as on a healthy kubelet; no container runs. A
   * test opts a Pod into a failure with the label kwokPodFailureLabel (kwokPodFailures: crash-loop,
   * image-pull-backoff). Adds about a second to the start; without it (the default) nothing turns a Deployment
   * into Pods.
   *
   * ```ts
   * const env = await startKubeEnv({ workloads: true });
   * // create a Deployment, then:
   * await waitForRollout(env.kubeConfig, namespace, name);
   * ```
   */
  workloads?: boolean | { nodes?: FakeNodeShape };
  /**
   * The IPv4 address kube-apiserver listens on and advertises as the `kubernetes` Service's endpoint (default
   * 127.0.0.1). Pods of a real Node cannot reach the host's loopback: they need an address of the host they route to,
   * e.g. the gateway of the Node's bridge, which must exist before the start. The serving certificate then also names
   * this address and the `kubernetes` Service's cluster IP (kubernetesServiceIp), which in-cluster clients dial.
   */
  address?: string;
}

/** The range Services' cluster IPs come from. */
export const serviceClusterIpRange = '10.96.0.0/16';
/** The cluster IP of the `kubernetes` Service in `default` (the range's first address), which Pods dial for the API. */
export const kubernetesServiceIp = '10.96.0.1';

/**
 * Starts etcd and kube-apiserver on free loopback ports, like controller-runtime's envtest: a throw-away CA,
 * a serving certificate for 127.0.0.1 (or `address`), a service-account signing key and an admin client certificate. Only the
 * API: nothing turns a Deployment into Pods unless `workloads` also starts a controller-manager, a scheduler and
 * kwok's fake Nodes.
 */
export async function startKubeEnv(options: KubeEnvOptions = {}): Promise<KubeEnv> {
  const persistent = options.persistent ?? false;
  if (persistent && !options.directory) throw new Error('startKubeEnv: persistent needs a directory to keep the state in');
  const dir = options.directory ?? (await mkdtemp(path.join(os.tmpdir(), 'bdk-kube-')));
  const processes: ManagedProcess[] = [];
  const stop = async () => {
    for (const proc of processes.reverse()) await proc.stop();
    processes.length = 0;
    if (!options.directory) await rm(dir, { recursive: true, force: true });
  };

  try {
    const etcdUrl = await withFreshPorts(() => startEtcd(dir, processes, persistent));
    const address = options.address ?? '127.0.0.1';
    const pki = await createPki(dir, persistent, address);
    const { server, kubeConfig, kubeconfigPath } = await withFreshPorts(() => startApiserver(dir, processes, etcdUrl, pki, address));
    const cluster = { kubeconfigPath, pki };

    const crds = options.installCrds ?? true ? installCrds(kubeConfig) : Promise.resolve();
    const nodes = options.workloads ? startWorkloads(cluster, kubeConfig, dir, processes, options.workloads === true ? {} : (options.workloads.nodes ?? {})) : Promise.resolve([]);
    const [crdsDone, nodesDone] = await Promise.allSettled([crds, nodes]);
    if (crdsDone.status === 'rejected') throw crdsDone.reason;
    if (nodesDone.status === 'rejected') throw nodesDone.reason;
    return { server, kubeconfigPath, kubeConfig, pki, nodes: nodesDone.value, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * kube-controller-manager, kube-scheduler and kwok side by side, and the fake Nodes; each started process joins
 * `processes` (so stop() ends it) even when another fails to start. Resolves with the Nodes once every Node is
 * Ready and the controller-manager has given the `default` namespace its ServiceAccount.
 */
async function startWorkloads(cluster: ClusterAccess, kubeConfig: KubeConfig, dir: string, processes: ManagedProcess[], shape: FakeNodeShape): Promise<string[]> {
  const join = async (start: Promise<RunningComponent>) => processes.push((await start).process);
  const started = await Promise.allSettled([
    join(startControllerManager(cluster)),
    join(startScheduler(cluster)),
    join(startKwok(cluster, dir)),
    createFakeNodes(kubeConfig, shape),
  ]);
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  const core = kubeConfig.makeApiClient(CoreV1Api);
  await waitUntil('the default ServiceAccount (kube-controller-manager)', () => core.readNamespacedServiceAccount({ namespace: 'default', name: 'default' }), {
    timeoutMs: 60_000,
  });
  return (started[3] as PromiseFulfilledResult<string[]>).value;
}

/** kube-apiserver on a free port of `address`, with an admin kubeconfig for it. */
async function startApiserver(dir: string, processes: ManagedProcess[], etcdUrl: string, pki: ClusterPki & { admin: KeyPairFiles }, address: string) {
  const port = await freePort();
  const server = `https://${address}:${port}`;
  const apiserver = startProcess('kube-apiserver', toolPath('kube-apiserver'), [
    `--etcd-servers=${etcdUrl}`,
    `--bind-address=${address}`,
    `--advertise-address=${address}`,
    `--secure-port=${port}`,
    `--cert-dir=${dir}`,
    `--tls-cert-file=${pki.serving.cert}`,
    `--tls-private-key-file=${pki.serving.key}`,
    `--client-ca-file=${pki.ca.cert}`,
    `--service-account-key-file=${pki.serviceAccount.publicKey}`,
    `--service-account-signing-key-file=${pki.serviceAccount.privateKey}`,
    '--service-account-issuer=https://kubernetes.default.svc',
    `--service-cluster-ip-range=${serviceClusterIpRange}`,
    '--authorization-mode=RBAC',
    '--allow-privileged=true',
    // One client (the tests) on two cores: fairness queuing only adds start-up work.
    '--enable-priority-and-fairness=false',
  ]);
  const kubeconfigPath = path.join(dir, 'kubeconfig');
  await writeFile(kubeconfigPath, await adminKubeconfig(server, pki.ca, pki.admin), { mode: 0o600 });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfigPath);
  await readyOrStopped(
    apiserver,
    waitUntil('kube-apiserver /readyz', async () => (await kubeGet(kubeConfig, '/readyz')).status === 200, {
      timeoutMs: 120_000,
      intervalMs: 250,
    }),
  );
  processes.push(apiserver);
  return { server, kubeconfigPath, kubeConfig };
}

async function startEtcd(dir: string, processes: ManagedProcess[], persistent: boolean): Promise<string> {
  // A throw-away cluster is a new member each attempt. Kept data is reused whatever URLs it names: a single-member
  // cluster starts on new ports all the same.
  if (!persistent) await rm(path.join(dir, 'etcd'), { recursive: true, force: true });
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const etcd = startProcess('etcd', toolPath('etcd'), [
    `--data-dir=${path.join(dir, 'etcd')}`,
    `--listen-client-urls=${clientUrl}`,
    `--advertise-client-urls=${clientUrl}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=default=${peerUrl}`,
    // Throw-away data: durability only costs time. Kept data must survive a crash of the machine too.
    ...(persistent ? [] : ['--unsafe-no-fsync']),
    '--log-level=warn',
  ]);
  await readyOrStopped(
    etcd,
    waitUntil('etcd /health', async () => {
      const response = await fetch(`${clientUrl}/health`);
      return response.ok && ((await response.json()) as { health?: string }).health === 'true';
    }),
  );
  processes.push(etcd);
  return clientUrl;
}

async function createPki(dir: string, persistent: boolean, address: string): Promise<ClusterPki & { admin: KeyPairFiles }> {
  const ca = await createCertificateAuthority(dir, 'bdk-test-ca');
  const serving = await issueCertificate(dir, ca, {
    name: 'apiserver',
    commonName: 'kube-apiserver',
    usage: 'server',
    dnsNames: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc'],
    ipAddresses: [...new Set(['127.0.0.1', address, kubernetesServiceIp])],
  });
  const admin = await issueCertificate(dir, ca, {
    name: 'admin',
    commonName: 'bdk-admin',
    organizations: ['system:masters'],
    usage: 'client',
  });
  // Tokens are signed with this key; a new one would invalidate every token issued before.
  const keptKeys = { publicKey: path.join(dir, 'sa.pub'), privateKey: path.join(dir, 'sa.key') };
  const reuse = persistent && existsSync(keptKeys.publicKey) && existsSync(keptKeys.privateKey);
  const serviceAccount = reuse ? keptKeys : await createServiceAccountKeys(dir);
  return { ca, serving, admin, serviceAccount };
}

async function adminKubeconfig(server: string, ca: KeyPairFiles, admin: KeyPairFiles): Promise<string> {
  const base64 = async (file: string) => (await readFile(file)).toString('base64');
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'bdk-local', cluster: { server, 'certificate-authority-data': await base64(ca.cert) } }],
    users: [
      {
        name: 'bdk-admin',
        user: { 'client-certificate-data': await base64(admin.cert), 'client-key-data': await base64(admin.key) },
      },
    ],
    contexts: [{ name: 'bdk-local', context: { cluster: 'bdk-local', user: 'bdk-admin', namespace: 'default' } }],
    'current-context': 'bdk-local',
  });
}

/**
 * BDK's CRDs as stored in the umbrella chart. Read with client-node's loadYaml, which maps YAML names such as
 * `x-kubernetes-preserve-unknown-fields` onto the model's properties: a plain YAML parse would have the
 * serializer silently drop them.
 */
export async function loadCrds(): Promise<V1CustomResourceDefinition[]> {
  const files = (await readdir(crdDirectory)).filter((f) => f.endsWith('.yaml')).sort();
  return Promise.all(files.map(async (f) => loadYaml<V1CustomResourceDefinition>(await readFile(path.join(crdDirectory, f), 'utf8'))));
}

/** Creates (or replaces) BDK's CRDs and waits until the apiserver serves them. */
export async function installCrds(kubeConfig: KubeConfig): Promise<void> {
  const api = kubeConfig.makeApiClient(ApiextensionsV1Api);
  for (const crd of await loadCrds()) {
    const name = crd.metadata?.name ?? '';
    try {
      await api.createCustomResourceDefinition({ body: crd });
    } catch (error) {
      if ((error as { code?: number }).code !== 409) throw error;
      const existing = await api.readCustomResourceDefinition({ name });
      await api.replaceCustomResourceDefinition({
        name,
        body: { ...crd, metadata: { ...crd.metadata, resourceVersion: existing.metadata?.resourceVersion } },
      });
    }
    await waitUntil(`CRD ${name} to be established`, async () => {
      const current = await api.readCustomResourceDefinition({ name });
      return current.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    });
  }
}
