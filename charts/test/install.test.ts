// `helm install` of the umbrella into a real kube-apiserver: Helm installs the CRDs (templates of the umbrella), the apiserver admits
// every object (its validation of pod specs, RBAC rules and ConfigMaps is the real one), the RBAC authorizer grants
// each app exactly what it needs and nothing more, the TokenReview API authenticates the callers' projected tokens
// as the identities the controller is told to accept, and `helm uninstall` removes everything but the CRDs and the
// router's deliveries volume claim (kept: it holds webhooks not delivered yet). The cluster here is the API alone (no
// controller-manager, no Nodes), so no pod runs: the install is not --wait'ed, and the tests request the tokens the
// kubelet would project.
import {
  ApiextensionsV1Api,
  AppsV1Api,
  AuthenticationV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  KubeConfig,
  PolicyV1Api,
  RbacAuthorizationV1Api,
  type V1Deployment,
  type V1ResourceAttributes,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { descriptorSetPath, startKubeEnv, type KubeEnv } from '@bdk/testing';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { appCharts, assertGenerated, chartPath, defaultValuesFile, helm, helmOk, type AppChart } from './helm.js';

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
  // The smallest install: the defaults and one identity provider (authentication is mandatory).
  const values = path.join(chartPath('bdk'), defaultValuesFile);
  installOutput = await helmOk(['install', release, chartPath('bdk'), '--namespace', namespace, '--create-namespace', '--values', values], {
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

/** Every attempt the app's ServiceAccount is allowed, as `verb resource in namespace`; [] when none is. */
async function allowedOf(app: AppChart, attempts: V1ResourceAttributes[]): Promise<string[]> {
  const granted: string[] = [];
  for (const attempt of attempts) {
    if (await allowed(app, attempt)) granted.push(`${attempt.verb} ${attempt.group ? `${attempt.group}/` : ''}${attempt.resource} in ${attempt.namespace ?? '(cluster)'}`);
  }
  return granted;
}

async function deployment(app: AppChart): Promise<V1Deployment> {
  return env().kubeConfig.makeApiClient(AppsV1Api).readNamespacedDeployment({ namespace, name: `${release}-${app}` });
}

function containerEnv(d: V1Deployment, container: string): Record<string, string | undefined> {
  return Object.fromEntries((d.spec?.template.spec?.containers.find((c) => c.name === container)?.env ?? []).map((e) => [e.name, e.value]));
}

/** A client of the test apiserver that authenticates with a bearer token instead of the admin certificate. */
function withToken(token: string): KubeConfig {
  const cluster = env().kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error('no cluster in the admin kubeconfig');
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'test', server: cluster.server, caData: cluster.caData }],
    users: [{ name: 'bearer', token }],
    contexts: [{ name: 'test', cluster: 'test', user: 'bearer' }],
    currentContext: 'test',
  });
  return config;
}

/** A token of a ServiceAccount of the release namespace, as the kubelet would project it (no audience: the apiserver's). */
async function serviceAccountToken(name: string, audience?: string, expirationSeconds = 3600): Promise<string> {
  const request = await env()
    .kubeConfig.makeApiClient(CoreV1Api)
    .createNamespacedServiceAccountToken({ namespace, name, body: { spec: { audiences: audience ? [audience] : [], expirationSeconds } } });
  const token = request.status?.token;
  if (!token) throw new Error(`no token issued for ${name}`);
  return token;
}

describe('helm install bdk', () => {
  it('reports the release deployed and prints what was installed and the next step', async () => {
    expect(installOutput).toMatch(/STATUS: deployed/);
    expect(installOutput).toContain(`kubectl -n ${namespace} port-forward svc/${release}-library-service 8080:8080`);
    expect(installOutput).toContain('curl -i -X POST http://127.0.0.1:8080/api/v1/books');
    expect(installOutput).toContain(`helm test ${release} -n ${namespace}`);
    for (const app of appCharts) expect(installOutput).toContain(`${app}: Service ${release}-${app}`);
    // Which tokens are accepted, which claims are read, and which permissions exist.
    expect(installOutput).toContain('https://login.example.com/ (audience bdk-api): organisation in the claim "org_id", permissions in "permissions"');
    expect(installOutput).toContain('books:read, books:publish, instances:read, instances:write, credentials:rotate,\ndeliveries:read, deliveries:replay');
    expect(installOutput).toContain('-H "authorization: Bearer $TOKEN"');
  });

  it('installed the CRDs, established', async () => {
    const api = env().kubeConfig.makeApiClient(ApiextensionsV1Api);
    for (const name of crdNames) {
      const crd = await api.readCustomResourceDefinition({ name });
      expect([name, crd.status?.conditions?.find((c) => c.type === 'Established')?.status]).toEqual([name, 'True']);
    }
  });

  it('created each app’s Deployment, Service, ServiceAccount and, for the REST apps, the Envoy and auth ConfigMaps; the gateway’s Deployment, Service and ConfigMap', async () => {
    const apps = env().kubeConfig.makeApiClient(AppsV1Api);
    const core = env().kubeConfig.makeApiClient(CoreV1Api);
    const names = async (list: Promise<{ items: { metadata?: { name?: string } }[] }>) => (await list).items.map((i) => i.metadata?.name).sort();
    const selector = `app.kubernetes.io/instance=${release}`;
    const expected = appCharts.map((app) => `${release}-${app}`).sort();
    const withGateway = [...expected, `${release}-gateway`].sort();
    expect(await names(apps.listNamespacedDeployment({ namespace, labelSelector: selector }))).toEqual(withGateway);
    expect(await names(core.listNamespacedService({ namespace, labelSelector: selector }))).toEqual(withGateway);
    expect(await names(core.listNamespacedServiceAccount({ namespace, labelSelector: selector }))).toEqual(expected);
    expect(await names(core.listNamespacedConfigMap({ namespace, labelSelector: selector }))).toEqual([
      `${release}-gateway`,
      `${release}-library-service-auth`,
      `${release}-library-service-envoy`,
      `${release}-webhook-router-auth`,
      `${release}-webhook-router-envoy`,
    ]);
    // The router's SQLite deliveries get their own volume claim (bound once a provisioner serves it).
    expect(await names(core.listNamespacedPersistentVolumeClaim({ namespace, labelSelector: selector }))).toEqual([`${release}-webhook-router-deliveries`]);
  });

  it('runs the book-controller as a leader and a standby, replaced one at a time, one kept through disruptions', async () => {
    const controller = await deployment('book-controller');
    expect(controller.spec?.replicas).toBe(2);
    expect(controller.spec?.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    expect(containerEnv(controller, 'book-controller')).toMatchObject({ BDK_LEADER_ELECTION: 'true', BDK_LEADER_ELECTION_LEASE_NAME: `${release}-book-controller` });
    const budgets = await env().kubeConfig.makeApiClient(PolicyV1Api).listNamespacedPodDisruptionBudget({ namespace, labelSelector: `app.kubernetes.io/instance=${release}` });
    expect(budgets.items.map((b) => [b.metadata?.name, b.spec?.minAvailable, b.spec?.selector?.matchLabels])).toEqual([
      [`${release}-book-controller`, 1, controller.spec?.selector.matchLabels],
      // The gateway's two replicas have one too; the single-replica apps have none (it would block every drain).
      [`${release}-gateway`, 1, { 'app.kubernetes.io/name': 'bdk-gateway', 'app.kubernetes.io/instance': release }],
    ]);
  });

  it('stored the descriptor set in the ConfigMap unchanged', async () => {
    const configMap = await env()
      .kubeConfig.makeApiClient(CoreV1Api)
      .readNamespacedConfigMap({ namespace, name: `${release}-library-service-envoy` });
    expect(Buffer.from(configMap.binaryData?.['bdk.binpb'] ?? '', 'base64').equals(readFileSync(descriptorSetPath()))).toBe(true);
  });

  it('created the Roles in the release namespace and the ClusterRoles under namespaced names; none for the router', async () => {
    const rbac = env().kubeConfig.makeApiClient(RbacAuthorizationV1Api);
    const selector = `app.kubernetes.io/instance=${release}`;
    const roles = (await rbac.listNamespacedRole({ namespace, labelSelector: selector })).items.map((r) => r.metadata?.name).sort();
    const bindings = (await rbac.listNamespacedRoleBinding({ namespace, labelSelector: selector })).items.map((r) => r.metadata?.name).sort();
    const clusterRoles = (await rbac.listClusterRole({ labelSelector: selector })).items.map((r) => r.metadata?.name).sort();
    const clusterBindings = (await rbac.listClusterRoleBinding({ labelSelector: selector })).items.map((r) => r.metadata?.name).sort();
    expect(roles).toEqual([`${release}-book-controller`, `${release}-library-service`]);
    expect(bindings).toEqual(roles);
    expect(clusterRoles).toEqual([`${namespace}-${release}-book-controller`, `${namespace}-${release}-library-service`]);
    expect(clusterBindings).toEqual(clusterRoles);
  });

  describe('RBAC, as the apiserver authorizes it', () => {
    const bdk = 'bdk.voyager.io';

    const customer = 'customer-acme';

    it('lets library-service manage books and instances here and read namespaces', async () => {
      expect(await allowed('library-service', { namespace, verb: 'create', group: bdk, resource: 'bookdefinitions' })).toBe(true);
      expect(await allowed('library-service', { namespace, verb: 'delete', group: bdk, resource: 'bookinstancedefinitions' })).toBe(true);
      expect(await allowed('library-service', { namespace, verb: 'watch', group: bdk, resource: 'bookinstancedefinitions' })).toBe(true);
      expect(await allowed('library-service', { name: customer, verb: 'get', resource: 'namespaces' })).toBe(true);
    });

    it('gives library-service nothing on Secrets anywhere, no namespace writes, and nothing in customer namespaces', async () => {
      const secretVerbs = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];
      const attempts: V1ResourceAttributes[] = [
        ...[customer, namespace].flatMap((where) => secretVerbs.map((verb) => ({ namespace: where, verb, resource: 'secrets' }))),
        ...['create', 'update', 'patch', 'delete', 'list', 'watch'].map((verb) => ({ verb, resource: 'namespaces' })),
        { namespace: customer, verb: 'create', group: bdk, resource: 'bookdefinitions' },
        { namespace: customer, verb: 'create', resource: 'events' },
        { namespace, verb: 'create', resource: 'events' },
        { namespace: customer, verb: 'create', resource: 'configmaps' },
        { namespace: customer, verb: 'create', group: 'apps', resource: 'deployments' },
        { verb: 'create', group: 'authentication.k8s.io', resource: 'tokenreviews' },
      ];
      expect(await allowedOf('library-service', attempts)).toEqual([]);
    });

    it('lets book-controller reconcile instances here and write workloads and Secrets into any namespace', async () => {
      expect(await allowed('book-controller', { namespace, verb: 'watch', group: bdk, resource: 'bookinstancedefinitions' })).toBe(true);
      expect(await allowed('book-controller', { namespace, verb: 'update', group: bdk, resource: 'bookinstancedefinitions', subresource: 'status' })).toBe(true);
      expect(await allowed('book-controller', { namespace, verb: 'update', group: 'coordination.k8s.io', resource: 'leases' })).toBe(true);
      expect(await allowed('book-controller', { namespace: customer, verb: 'create', group: 'apps', resource: 'deployments' })).toBe(true);
      expect(await allowed('book-controller', { namespace: customer, verb: 'patch', group: bdk, resource: 'externalbookdefinitions' })).toBe(true);
      expect(await allowed('book-controller', { namespace: customer, verb: 'create', resource: 'secrets' })).toBe(true);
      expect(await allowed('book-controller', { namespace: customer, verb: 'watch', resource: 'secrets' })).toBe(true);
      expect(await allowed('book-controller', { namespace, verb: 'create', resource: 'events' })).toBe(true);
    });

    it('lets book-controller manage each customer namespace\u2019s quota, limits, network policies and autoscalers, and read its Pods and ReplicaSets', async () => {
      const attempts: V1ResourceAttributes[] = [
        ...['create', 'update', 'delete', 'watch'].flatMap((verb) => [
          { namespace: customer, verb, resource: 'resourcequotas' },
          { namespace: customer, verb, resource: 'limitranges' },
          { namespace: customer, verb, group: 'networking.k8s.io', resource: 'networkpolicies' },
          { namespace: customer, verb, group: 'autoscaling', resource: 'horizontalpodautoscalers' },
        ]),
        ...['get', 'list', 'watch'].flatMap((verb) => [
          { namespace: customer, verb, resource: 'pods' },
          { namespace: customer, verb, group: 'apps', resource: 'replicasets' },
        ]),
      ];
      const denied: string[] = [];
      for (const attempt of attempts) if (!(await allowed('book-controller', attempt))) denied.push(`${attempt.verb} ${attempt.resource}`);
      expect(denied).toEqual([]);
    });

    it('lets book-controller hold its leader-election Lease here', async () => {
      for (const verb of ['get', 'create', 'update']) {
        expect([verb, await allowed('book-controller', { namespace, verb, group: 'coordination.k8s.io', resource: 'leases', name: `${release}-book-controller` })]).toEqual([verb, true]);
      }
    });

    it('lets book-controller create customer namespaces and record their organisation, and review tokens', async () => {
      for (const verb of ['get', 'list', 'watch', 'create', 'update', 'patch']) {
        expect([verb, await allowed('book-controller', { verb, resource: 'namespaces' })]).toEqual([verb, true]);
      }
      expect(await allowed('book-controller', { verb: 'create', group: 'authentication.k8s.io', resource: 'tokenreviews' })).toBe(true);
    });

    it('denies book-controller what is not its job', async () => {
      const attempts: V1ResourceAttributes[] = [
        { namespace: customer, verb: 'create', resource: 'events' },
        { namespace, verb: 'update', group: bdk, resource: 'bookdefinitions' },
        { namespace, verb: 'create', group: bdk, resource: 'bookinstancedefinitions' },
        { namespace: 'kube-system', verb: 'update', group: 'coordination.k8s.io', resource: 'leases' },
        { namespace: customer, verb: 'update', group: 'coordination.k8s.io', resource: 'leases' },
        { verb: 'delete', resource: 'namespaces' },
        { verb: 'create', group: 'authorization.k8s.io', resource: 'subjectaccessreviews' },
        // Pods and ReplicaSets are the Deployment's to make and remove, not the controller's.
        ...['create', 'update', 'patch', 'delete'].flatMap((verb) => [
          { namespace: customer, verb, resource: 'pods' },
          { namespace: customer, verb, group: 'apps', resource: 'replicasets' },
        ]),
        { namespace: customer, verb: 'create', resource: 'pods', subresource: 'exec' },
      ];
      expect(await allowedOf('book-controller', attempts)).toEqual([]);
    });

    it('lets webhook-router do nothing at all, not even read its own books', async () => {
      const attempts: V1ResourceAttributes[] = [
        ...['get', 'list', 'watch'].flatMap((verb) => [
          { namespace, verb, group: bdk, resource: 'bookdefinitions' },
          { namespace, verb, group: bdk, resource: 'bookinstancedefinitions' },
          { namespace, verb, resource: 'secrets' },
          { namespace, verb, resource: 'configmaps' },
          { namespace: customer, verb, resource: 'secrets' },
        ]),
        { namespace, verb: 'create', resource: 'events' },
        { verb: 'get', resource: 'namespaces' },
        { verb: 'create', group: 'authentication.k8s.io', resource: 'tokenreviews' },
      ];
      expect(await allowedOf('webhook-router', attempts)).toEqual([]);
    });
  });

  describe('internal authentication, as the TokenReview API answers it', () => {
    it('authenticates each caller’s projected token as exactly the identity the controller accepts', async () => {
      const controller = containerEnv(await deployment('book-controller'), 'book-controller');
      const audience = controller['BDK_INTERNAL_AUDIENCE'] ?? 'BDK_INTERNAL_AUDIENCE unset';
      // The review is made as the controller's own ServiceAccount: its RBAC must allow it.
      const asController = withToken(await serviceAccountToken(`${release}-book-controller`)).makeApiClient(AuthenticationV1Api);
      const callers = [
        ['library-service', 'BDK_LIBRARY_SERVICE_IDENTITY'],
        ['webhook-router', 'BDK_WEBHOOK_ROUTER_IDENTITY'],
      ] as const;
      for (const [app, variable] of callers) {
        const pod = (await deployment(app)).spec?.template.spec;
        const projected = pod?.volumes?.flatMap((v) => v.projected?.sources ?? []).find((source) => source.serviceAccountToken)?.serviceAccountToken;
        const token = await serviceAccountToken(pod?.serviceAccountName ?? '', projected?.audience, projected?.expirationSeconds);
        const review = await asController.createTokenReview({ body: { spec: { token, audiences: [audience] } } });
        expect([app, review.status?.authenticated, review.status?.user?.username, review.status?.audiences]).toEqual([app, true, controller[variable], [audience]]);
      }
    });

    it('refuses, for the controller’s audience, a token meant for the Kubernetes API', async () => {
      const asController = withToken(await serviceAccountToken(`${release}-book-controller`)).makeApiClient(AuthenticationV1Api);
      const apiToken = await serviceAccountToken(`${release}-webhook-router`);
      const review = await asController.createTokenReview({ body: { spec: { token: apiToken, audiences: ['bdk-book-controller'] } } });
      // An unauthenticated review leaves `authenticated` out (false) and says why.
      expect([review.status?.authenticated ?? false, review.status?.user?.username, review.status?.error]).toEqual([false, undefined, expect.stringMatching(/audience/)]);
    });

    it('makes the router’s controller token useless against the Kubernetes API', async () => {
      const token = await serviceAccountToken(`${release}-webhook-router`, 'bdk-book-controller');
      const api = withToken(token).makeApiClient(CoreV1Api);
      await expect(api.listNamespacedConfigMap({ namespace })).rejects.toMatchObject({ code: 401 });
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

    it('keeps the deliveries volume claim, and with it every webhook not delivered yet', async () => {
      const core = env().kubeConfig.makeApiClient(CoreV1Api);
      const claim = await core.readNamespacedPersistentVolumeClaim({ namespace, name: `${release}-webhook-router-deliveries` });
      expect(claim.metadata?.annotations?.['helm.sh/resource-policy']).toBe('keep');
      expect(claim.metadata?.deletionTimestamp).toBeUndefined();
    });

    it('keeps the CRDs, and with them every book and instance', async () => {
      const api = env().kubeConfig.makeApiClient(ApiextensionsV1Api);
      const names = (await api.listCustomResourceDefinition()).items.map((c) => c.metadata?.name).sort();
      expect(names).toEqual(crdNames);
    });
  });
});
