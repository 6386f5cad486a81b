// The parts of a control plane beside kube-apiserver that turn objects into running workloads:
// kube-controller-manager (Deployments into ReplicaSets into Pods, ServiceAccounts, garbage collection, HPA, ...) and
// kube-scheduler (Pods onto Nodes). Each serves HTTPS on a free loopback port with the cluster's serving certificate,
// only for its health endpoints, and talks to the apiserver as the admin.
import { readFile } from 'node:fs/promises';
import https from 'node:https';
import type { ClusterPki } from './certificates.js';
import { readyOrStopped, startProcess, type ManagedProcess } from './managed-process.js';
import { freePort, withFreshPorts } from './ports.js';
import { waitUntil } from './wait.js';
import { toolPath, type Tool } from './workspace.js';

/** What a component needs of the cluster it joins. */
export interface ClusterAccess {
  /** An admin kubeconfig file. */
  readonly kubeconfigPath: string;
  readonly pki: ClusterPki;
}

/** One running component process. */
export interface RunningComponent {
  readonly process: ManagedProcess;
  /** https://127.0.0.1:<port> (http:// for kwok) of its health endpoints. */
  readonly url: string;
  /** SIGTERM, then SIGKILL. Idempotent. */
  stop(): Promise<void>;
}

/** GET `url` over HTTPS trusting `caFile`; the status code, or a rejection when nothing answers. */
async function httpsStatus(url: string, caFile: string): Promise<number> {
  const ca = await readFile(caFile);
  return new Promise((resolve, reject) => {
    const request = https.get(url, { ca, timeout: 2_000 }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${url} timed out`)));
    request.on('error', reject);
  });
}

/** How to tell a component is up: the status code of GET `url(port)` + `path` is 200. */
export interface HealthCheck {
  path: string;
  url: (port: number) => string;
  status: (url: string) => Promise<number>;
}

/**
 * Starts `tool` with `args(port)` on a free port and resolves once its health check passes; a start that fails is
 * stopped, and tried again on another port when the port was taken meanwhile.
 */
export async function startComponent(tool: Tool, args: (port: number) => string[], health: HealthCheck, env?: NodeJS.ProcessEnv): Promise<RunningComponent> {
  return withFreshPorts(async () => {
    const port = await freePort();
    const url = health.url(port);
    const proc = startProcess(tool, toolPath(tool), args(port), env ? { env } : {});
    await readyOrStopped(
      proc,
      waitUntil(`${tool} ${health.path}`, async () => (await health.status(`${url}${health.path}`)) === 200, { timeoutMs: 60_000, intervalMs: 100 }),
    );
    return { process: proc, url, stop: () => proc.stop() };
  });
}

const secureHealth = (pki: ClusterPki, path: string): HealthCheck => ({
  path,
  url: (port: number) => `https://127.0.0.1:${port}`,
  status: (url: string) => httpsStatus(url, pki.ca.cert),
});

/** Flags both components share: where the cluster is, where to serve, no leader election (there is one of each). */
function commonFlags(cluster: ClusterAccess, port: number): string[] {
  return [
    `--kubeconfig=${cluster.kubeconfigPath}`,
    '--leader-elect=false',
    '--bind-address=127.0.0.1',
    `--secure-port=${port}`,
    `--tls-cert-file=${cluster.pki.serving.cert}`,
    `--tls-private-key-file=${cluster.pki.serving.key}`,
    // Tests create hundreds of Pods at once; the default rates (20 and 50 requests/s) would pace them.
    '--kube-api-qps=200',
    '--kube-api-burst=400',
  ];
}

/**
 * kube-controller-manager with every controller that is on by default (deployment, replicaset, serviceaccount,
 * root-ca-cert-publisher, namespace, garbage collector, horizontal pod autoscaler, endpoint slices, node lifecycle,
 * ...), acting with the admin's credentials. Resolves once /healthz answers.
 */
export function startControllerManager(cluster: ClusterAccess): Promise<RunningComponent> {
  return startComponent(
    'kube-controller-manager',
    (port) => [
      ...commonFlags(cluster, port),
      '--controllers=*',
      '--use-service-account-credentials=false',
      `--root-ca-file=${cluster.pki.ca.cert}`,
      `--service-account-private-key-file=${cluster.pki.serviceAccount.privateKey}`,
      `--cluster-signing-cert-file=${cluster.pki.ca.cert}`,
      `--cluster-signing-key-file=${cluster.pki.ca.key}`,
      // A test that scales with an HorizontalPodAutoscaler should not wait the default 15 s per step.
      '--horizontal-pod-autoscaler-sync-period=2s',
    ],
    secureHealth(cluster.pki, '/healthz'),
  );
}

/** kube-scheduler with its default profile. Resolves once /readyz answers, which includes its informers' sync. */
export function startScheduler(cluster: ClusterAccess): Promise<RunningComponent> {
  return startComponent('kube-scheduler', (port) => commonFlags(cluster, port), secureHealth(cluster.pki, '/readyz'));
}
