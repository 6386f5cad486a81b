// `helm install` of the umbrella into a real kube-apiserver: Helm installs the CRDs from crds/, the apiserver admits
// every object (its validation of pod specs, RBAC rules and ConfigMaps is the real one), the RBAC authorizer grants
// each app exactly what it needs, and `helm uninstall` removes everything but the CRDs. There is no kubelet here,
// so no pod runs: the install is not --wait'ed.
import {
  ApiextensionsV1Api,
  AppsV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  RbacAuthorizationV1Api,
  type V1ResourceAttributes,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { descriptorSetPath, startKubeEnv, type KubeEnv } from '@bdk/testing';
import { readFileSync } from 'node:fs';
import { appCharts, assertGenerated, chartPath, helm, helmOk, type AppChart } from './helm.js';

const namespace = 'bdk';
const release = 'bdk';
const crdNames = ['bookdefinitions.bdk.voyager.io', 'bookinstancedefinitions.bdk.voyager.io', 'externalbookdefinitions.bdk.voyager.io'];

let kube: KubeEnv | undefined;
let installOutput = '';

function env(): KubeEnv {
  if (!kube) throw new Error('kube-apiserver did not start');
  return kube;
}

beforeAll(async () => {
  assertGenerated();
  kube = await startKubeEnv({ installCrds: false });
  installOutput = await helmOk(['install', release, chartPath('bdk'), '--namespace', namespace, '--create-namespace'], {
    kubeconfig: kube.kubeconfigPath,
  });
}, 180_000);

afterAll(async () => {
  await kube?.stop();
});

/** Whether the apiserver's RBAC authorizer lets an app's ServiceAccount do something. */
async function allowed(app: AppChart, attributes: V1ResourceAttributes): Promise<boolean> {
  const review = await env()
    .kubeConfig.makeApiClient(AuthorizationV1Api)
    .createSubjectAccessReview({
      body: {
        spec: {
          user: `system:serviceaccount:${namespace}:${release}-${app}`,
          groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
          resourceAttributes: attributes,
        },
      },
    });
  return review.status?.allowed ?? false;
}

describe('helm install bdk', () => {
  it('reports the release deployed and prints what was installed and the next step', async () => {
    expect(installOutput).toMatch(/STATUS: deployed/);
    expect(installOutput).toContain(`kubectl -n ${namespace} port-forward svc/${release}-library-service 8080:8080`);
    expect(installOutput).toContain('curl -i -X POST http://127.0.0.1:8080/api/v1/books');
    expect(installOutput).toContain(`helm test ${release} -n ${namespace}`);
    for (const app of appCharts) expect(installOutput).toContain(`${app}: Service ${release}-${app}`);
    expect(installOutput).toContain('It has no signing secrets (webhook-router.webhookSecrets.existingSecret)');
  });

  it('installed the CRDs from crds/, established', async () => {
    const api = env().kubeConfig.makeApiClient(ApiextensionsV1Api);
    for (const name of crdNames) {
      const crd = await api.readCustomResourceDefinition({ name });
      expect([name, crd.status?.conditions?.find((c) => c.type === 'Established')?.status]).toEqual([name, 'True']);
    }
  });

  it('created each app’s Deployment, Service, ServiceAccount and, for the REST apps, the Envoy ConfigMap', async () => {
    const apps = env().kubeConfig.makeApiClient(AppsV1Api);
    const core = env().kubeConfig.makeApiClient(CoreV1Api);
    const names = async (list: Promise<{ items: { metadata?: { name?: string } }[] }>) => (await list).items.map((i) => i.metadata?.name).sort();
    const selector = `app.kubernetes.io/instance=${release}`;
    const expected = appCharts.map((app) => `${release}-${app}`).sort();
    expect(await names(apps.listNamespacedDeployment({ namespace, labelSelector: selector }))).toEqual(expected);
    expect(await names(core.listNamespacedService({ namespace, labelSelector: selector }))).toEqual(expected);
    expect(await names(core.listNamespacedServiceAccount({ namespace, labelSelector: selector }))).toEqual(expected);
    expect(await names(core.listNamespacedConfigMap({ namespace, labelSelector: selector }))).toEqual([
      `${release}-library-service-envoy`,
      `${release}-webhook-router-envoy`,
    ]);
  });

  it('stored the descriptor set in the ConfigMap unchanged', async () => {
    const configMap = await env()
      .kubeConfig.makeApiClient(CoreV1Api)
      .readNamespacedConfigMap({ namespace, name: `${release}-library-service-envoy` });
    expect(Buffer.from(configMap.binaryData?.['bdk.binpb'] ?? '', 'base64').equals(readFileSync(descriptorSetPath()))).toBe(true);
  });

  it('created the Roles in the release namespace and the ClusterRoles under namespaced names', async () => {
    const rbac = env().kubeConfig.makeApiClient(RbacAuthorizationV1Api);
    const selector = `app.kubernetes.io/instance=${release}`;
    const roles = (await rbac.listNamespacedRole({ namespace, labelSelector: selector })).items.map((r) => r.metadata?.name).sort();
    const bindings = (await rbac.listNamespacedRoleBinding({ namespace, labelSelector: selector })).items.map((r) => r.metadata?.name).sort();
    const clusterRoles = (await rbac.listClusterRole({ labelSelector: selector })).items.map((r) => r.metadata?.name).sort();
    const clusterBindings = (await rbac.listClusterRoleBinding({ labelSelector: selector })).items.map((r) => r.metadata?.name).sort();
    expect(roles).toEqual(appCharts.map((app) => `${release}-${app}`).sort());
    expect(bindings).toEqual(roles);
    expect(clusterRoles).toEqual([`${namespace}-${release}-book-controller`, `${namespace}-${release}-library-service`]);
    expect(clusterBindings).toEqual(clusterRoles);
  });

  describe('RBAC, as the apiserver authorizes it', () => {
    const bdk = 'bdk.voyager.io';

    it('lets library-service manage books and instances here, and credential Secrets in any namespace, nothing more', async () => {
      expect(await allowed('library-service', { namespace, verb: 'create', group: bdk, resource: 'bookdefinitions' })).toBe(true);
      expect(await allowed('library-service', { namespace, verb: 'delete', group: bdk, resource: 'bookinstancedefinitions' })).toBe(true);
      expect(await allowed('library-service', { namespace: 'customer-acme', verb: 'create', resource: 'secrets' })).toBe(true);
      expect(await allowed('library-service', { verb: 'create', resource: 'namespaces' })).toBe(true);
      // Reading every Secret of the cluster is not part of the job.
      expect(await allowed('library-service', { namespace: 'customer-acme', verb: 'list', resource: 'secrets' })).toBe(false);
      expect(await allowed('library-service', { namespace: 'customer-acme', verb: 'create', group: bdk, resource: 'bookdefinitions' })).toBe(false);
      expect(await allowed('library-service', { verb: 'delete', resource: 'namespaces' })).toBe(false);
    });

    it('lets book-controller reconcile instances here and workloads in any namespace, but not edit books', async () => {
      expect(await allowed('book-controller', { namespace, verb: 'watch', group: bdk, resource: 'bookinstancedefinitions' })).toBe(true);
      expect(await allowed('book-controller', { namespace, verb: 'update', group: bdk, resource: 'bookinstancedefinitions', subresource: 'status' })).toBe(true);
      expect(await allowed('book-controller', { namespace, verb: 'update', group: 'coordination.k8s.io', resource: 'leases' })).toBe(true);
      expect(await allowed('book-controller', { namespace: 'customer-acme', verb: 'create', group: 'apps', resource: 'deployments' })).toBe(true);
      expect(await allowed('book-controller', { namespace: 'customer-acme', verb: 'patch', group: bdk, resource: 'externalbookdefinitions' })).toBe(true);
      expect(await allowed('book-controller', { namespace, verb: 'create', resource: 'events' })).toBe(true);
      expect(await allowed('book-controller', { namespace: 'customer-acme', verb: 'create', resource: 'events' })).toBe(false);
      expect(await allowed('book-controller', { namespace, verb: 'update', group: bdk, resource: 'bookdefinitions' })).toBe(false);
      expect(await allowed('book-controller', { namespace, verb: 'create', group: bdk, resource: 'bookinstancedefinitions' })).toBe(false);
      expect(await allowed('book-controller', { namespace: 'kube-system', verb: 'update', group: 'coordination.k8s.io', resource: 'leases' })).toBe(false);
    });

    it('lets webhook-router read books and instances here, and nothing else', async () => {
      expect(await allowed('webhook-router', { namespace, verb: 'list', group: bdk, resource: 'bookinstancedefinitions' })).toBe(true);
      expect(await allowed('webhook-router', { namespace, verb: 'get', group: bdk, resource: 'bookdefinitions' })).toBe(true);
      expect(await allowed('webhook-router', { namespace, verb: 'update', group: bdk, resource: 'bookinstancedefinitions' })).toBe(false);
      expect(await allowed('webhook-router', { namespace, verb: 'get', resource: 'secrets' })).toBe(false);
      expect(await allowed('webhook-router', { namespace: 'customer-acme', verb: 'list', group: bdk, resource: 'bookinstancedefinitions' })).toBe(false);
    });
  });

  describe('helm uninstall bdk', () => {
    beforeAll(async () => {
      await helmOk(['uninstall', release, '--namespace', namespace], { kubeconfig: env().kubeconfigPath });
    }, 120_000);

    it('removes every object of the release', async () => {
      const apps = env().kubeConfig.makeApiClient(AppsV1Api);
      const core = env().kubeConfig.makeApiClient(CoreV1Api);
      const rbac = env().kubeConfig.makeApiClient(RbacAuthorizationV1Api);
      const selector = `app.kubernetes.io/instance=${release}`;
      expect((await apps.listNamespacedDeployment({ namespace, labelSelector: selector })).items).toEqual([]);
      expect((await core.listNamespacedService({ namespace, labelSelector: selector })).items).toEqual([]);
      expect((await core.listNamespacedServiceAccount({ namespace, labelSelector: selector })).items).toEqual([]);
      expect((await core.listNamespacedConfigMap({ namespace, labelSelector: selector })).items).toEqual([]);
      expect((await rbac.listNamespacedRole({ namespace, labelSelector: selector })).items).toEqual([]);
      expect((await rbac.listClusterRole({ labelSelector: selector })).items).toEqual([]);
      expect((await rbac.listClusterRoleBinding({ labelSelector: selector })).items).toEqual([]);
      const listed = await helm(['list', '--namespace', namespace, '--short'], { kubeconfig: env().kubeconfigPath });
      expect(listed.stdout.trim()).toBe('');
    });

    it('keeps the CRDs, and with them every book and instance', async () => {
      const api = env().kubeConfig.makeApiClient(ApiextensionsV1Api);
      const names = (await api.listCustomResourceDefinition()).items.map((c) => c.metadata?.name).sort();
      expect(names).toEqual(crdNames);
    });
  });
});
