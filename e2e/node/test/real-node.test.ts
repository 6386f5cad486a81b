// A real Node in the test cluster: kubelet 1.36.3 built by the toolchain, Debian's containerd, runc and CNI plugins,
// a pause image built here, joined to a real kube-apiserver (startKubeEnv) with kube-controller-manager and
// kube-scheduler beside it. Pods run as containers from an image built here and imported into containerd (a static
// HTTP server, images/probe-server.c), their probes are the kubelet's, their IPs on the Node's bridge.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AppsV1Api, CoreV1Api, type V1Container, type V1Pod } from '@kubernetes/client-node';
import { startControllerManager, startKubeEnv, startScheduler, waitForRollout, waitUntil, type KubeEnv } from '@bdk/testing';
import { probeServerImage } from './support/local-images.js';
import { startRealNode, type RealNode } from './support/real-node.js';

const namespace = 'node-e2e';

/**
 * The probe server on 8080: `/ready` answers 200 (or 503 with `READY=false`) and counts its calls, `/` tells the host
 * name (the Pod's name, from its own UTS namespace), its uid and the /ready calls so far.
 */
function httpContainer(ready = true): V1Container {
  return {
    name: 'http',
    image: probeServerImage.reference,
    imagePullPolicy: 'Never',
    env: [{ name: 'READY', value: String(ready) }],
    ports: [{ containerPort: 8080 }],
    readinessProbe: { httpGet: { path: '/ready', port: 8080 }, periodSeconds: 1, failureThreshold: 1 },
    securityContext: { runAsUser: 1000, runAsGroup: 1000, runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
  };
}

let kube: KubeEnv;
let node: RealNode;
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  kube = await startKubeEnv({ installCrds: false });
  closers.push(() => kube.stop());
  const cluster = { kubeconfigPath: kube.kubeconfigPath, pki: kube.pki };
  const [controllerManager, scheduler] = await Promise.all([startControllerManager(cluster), startScheduler(cluster)]);
  closers.push(() => controllerManager.stop(), () => scheduler.stop());
  node = await startRealNode(kube);
  closers.push(() => node.stop());
  await node.importStaticImage(probeServerImage);
  await kube.kubeConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
  await waitUntil('the default ServiceAccount of the namespace', () => kube.kubeConfig.makeApiClient(CoreV1Api).readNamespacedServiceAccount({ namespace, name: 'default' }), { timeoutMs: 30_000 });
}, 300_000);

afterAll(async () => {
  for (const close of closers.reverse()) await close();
}, 180_000);

async function podWhen(name: string, what: string, check: (pod: V1Pod) => boolean, timeoutMs = 90_000): Promise<V1Pod> {
  const core = kube.kubeConfig.makeApiClient(CoreV1Api);
  let last: V1Pod | undefined;
  try {
    return await waitUntil(what, async () => {
      last = await core.readNamespacedPod({ namespace, name });
      return check(last) && last;
    }, { timeoutMs, intervalMs: 500 });
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}\nthe Pod's status: ${JSON.stringify(last?.status)}\n${await node.diagnose(namespace, name)}`, { cause: error });
  }
}

const isReady = (pod: V1Pod) => pod.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') ?? false;

describe('a real Node', () => {
  it('is Ready, with the kubelet the toolchain built and containerd as its runtime', async () => {
    const ready = await kube.kubeConfig.makeApiClient(CoreV1Api).readNode({ name: node.name });
    expect(ready.status?.nodeInfo).toMatchObject({ kubeletVersion: 'v1.36.3', containerRuntimeVersion: expect.stringMatching(/^containerd:\/\/1\./), operatingSystem: 'linux' });
    expect(ready.status?.conditions?.find((condition) => condition.type === 'Ready')?.status).toBe('True');
  });

  it('runs a Pod from a locally imported image as its containers, with the readiness probe passing', async () => {
    const core = kube.kubeConfig.makeApiClient(CoreV1Api);
    await core.createNamespacedPod({ namespace, body: { metadata: { name: 'http' }, spec: { nodeName: node.name, containers: [httpContainer()], automountServiceAccountToken: false } } });
    const pod = await podWhen('http', 'the Pod to be Ready', isReady);
    expect(pod.status?.containerStatuses?.[0]).toMatchObject({ name: 'http', ready: true, started: true, restartCount: 0, state: { running: expect.anything() } });
    expect(pod.status?.podIP).toMatch(/^10\.231\.0\.\d+$/);

    // From the host, through the Node's bridge, to the container: its own host name, uid, and the kubelet's probes.
    const answer = (await (await fetch(`http://${pod.status?.podIP}:8080/`)).json()) as { hostname: string; uid: number; probes: number };
    expect(answer).toEqual({ hostname: 'http', uid: 1000, probes: expect.any(Number) });
    expect(answer.probes).toBeGreaterThan(0);
  }, 120_000);

  it('keeps a Pod whose readiness probe fails Running but not Ready', async () => {
    const core = kube.kubeConfig.makeApiClient(CoreV1Api);
    await core.createNamespacedPod({ namespace, body: { metadata: { name: 'never-ready' }, spec: { nodeName: node.name, containers: [httpContainer(false)], automountServiceAccountToken: false } } });
    const running = await podWhen('never-ready', 'the container to be running', (pod) => pod.status?.containerStatuses?.[0]?.state?.running !== undefined);
    // Several probe periods after it started, the kubelet still reports it unready.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const pod = await core.readNamespacedPod({ namespace, name: 'never-ready' });
    expect(isReady(pod)).toBe(false);
    expect(pod.status?.containerStatuses?.[0]).toMatchObject({ ready: false, restartCount: 0, state: { running: expect.anything() } });
    const answer = (await (await fetch(`http://${running.status?.podIP}:8080/`)).json()) as { probes: number };
    expect(answer.probes).toBeGreaterThan(2);
  }, 120_000);

  it('rolls a Deployment out onto it through the scheduler', async () => {
    const apps = kube.kubeConfig.makeApiClient(AppsV1Api);
    const labels = { app: 'rollout' };
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'rollout' },
        spec: { replicas: 2, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [httpContainer()] } } },
      },
    });
    await waitForRollout(kube.kubeConfig, namespace, 'rollout', { timeoutMs: 120_000 });
    const pods = await kube.kubeConfig.makeApiClient(CoreV1Api).listNamespacedPod({ namespace, labelSelector: 'app=rollout' });
    expect(pods.items.map((pod) => ({ node: pod.spec?.nodeName, ready: isReady(pod) }))).toEqual([
      { node: node.name, ready: true },
      { node: node.name, ready: true },
    ]);
  }, 180_000);
});
