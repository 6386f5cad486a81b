// Each app chart's own settings reach its container as the env variables the app reads, and the library-service and
// webhook-router find the book-controller of their release by default, as the identities it accepts by default.
import type { V1Container, V1Deployment, V1PodDisruptionBudget, V1Service, V1ServiceAccount } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { assertGenerated, render, renderError, type AppChart, type RenderOptions } from './helm.js';

beforeAll(() => assertGenerated());

async function appContainer(chart: AppChart, options: RenderOptions = {}): Promise<V1Container> {
  const deployment = (await render(chart, options)).one<V1Deployment>('Deployment');
  const found = deployment.spec?.template.spec?.containers.find((c) => c.name === chart);
  if (!found) throw new Error(`no ${chart} container`);
  return found;
}

async function appEnv(chart: AppChart, options: RenderOptions = {}): Promise<Record<string, string | undefined>> {
  return Object.fromEntries(((await appContainer(chart, options)).env ?? []).map((e) => [e.name, e.value]));
}

describe('library-service', () => {
  it('leaves BDK_MODEL_MANAGER_URL unset by default, and sets it from modelManager.url', async () => {
    expect(await appEnv('library-service')).not.toHaveProperty('BDK_MODEL_MANAGER_URL');
    const env = await appEnv('library-service', { set: { 'modelManager.url': 'http://model-manager.models:9090' } });
    expect(env['BDK_MODEL_MANAGER_URL']).toBe('http://model-manager.models:9090');
  });

  it('refuses a Model Manager URL that is not http(s)', async () => {
    await expect(render('library-service', { set: { 'modelManager.url': 'model-manager:9090' } })).rejects.toThrow(/modelManager\/url/);
  });

  it('leaves the customer namespace prefix and public webhook URL unset by default', async () => {
    const env = await appEnv('library-service');
    expect(env).not.toHaveProperty('BDK_CUSTOMER_NAMESPACE_PREFIX');
    expect(env).not.toHaveProperty('BDK_WEBHOOK_PUBLIC_URL');
  });

  it('sets them from customerNamespaces.prefix and webhooks.publicUrl', async () => {
    const env = await appEnv('library-service', { valuesFiles: ['ci/production-values.yaml'] });
    expect(env['BDK_CUSTOMER_NAMESPACE_PREFIX']).toBe('customer-');
    expect(env['BDK_WEBHOOK_PUBLIC_URL']).toBe('https://bdk.example.com');
  });

  it('refuses a prefix that cannot start a namespace name, and a public URL that is not http(s)', async () => {
    await expect(render('library-service', { set: { 'customerNamespaces.prefix': 'Customer_' } })).rejects.toThrow(/customerNamespaces\/prefix/);
    await expect(render('library-service', { set: { 'webhooks.publicUrl': 'bdk.example.com' } })).rejects.toThrow(/webhooks\/publicUrl/);
  });
});

describe.each(['library-service', 'webhook-router'] as const)('%s as a caller of the book-controller', (chart) => {
  it('calls the book-controller of its own release by default', async () => {
    for (const release of ['bdk', 'staging', 'team-book-controller', 'x'.repeat(53)]) {
      const controller = (await render('book-controller', { release })).one<V1Service>('Service');
      const grpc = controller.spec?.ports?.find((p) => p.name === 'grpc')?.port;
      expect((await appEnv(chart, { release }))['BDK_CONTROLLER_URL']).toBe(`http://${controller.metadata.name}:${grpc}`);
    }
  });

  it('takes controllerUrl over the default', async () => {
    const env = await appEnv(chart, { set: { controllerUrl: 'http://controller.elsewhere.svc:9090' } });
    expect(env['BDK_CONTROLLER_URL']).toBe('http://controller.elsewhere.svc:9090');
  });

  it('requests its controller token for the audience the book-controller accepts by default', async () => {
    const controller = await appEnv('book-controller');
    const deployment = (await render(chart)).one<V1Deployment>('Deployment');
    const token = deployment.spec?.template.spec?.volumes?.find((v) => v.name === 'controller-token')?.projected?.sources?.[0]?.serviceAccountToken;
    expect(token?.audience).toBe(controller['BDK_INTERNAL_AUDIENCE']);
    const changed = (await render(chart, { set: { controllerAudience: 'bdk-controller.internal' } })).one<V1Deployment>('Deployment');
    const audience = changed.spec?.template.spec?.volumes?.find((v) => v.name === 'controller-token')?.projected?.sources?.[0]?.serviceAccountToken?.audience;
    expect(audience).toBe('bdk-controller.internal');
  });

  it('runs as the ServiceAccount the book-controller accepts by default, for any release name', async () => {
    const variable = chart === 'library-service' ? 'BDK_LIBRARY_SERVICE_IDENTITY' : 'BDK_WEBHOOK_ROUTER_IDENTITY';
    for (const release of ['bdk', 'staging', `team-${chart}`, 'x'.repeat(53)]) {
      const account = (await render(chart, { release, namespace: 'bdk-system' })).one<V1ServiceAccount>('ServiceAccount').metadata.name;
      const accepted = (await appEnv('book-controller', { release, namespace: 'bdk-system' }))[variable];
      expect(accepted).toBe(`system:serviceaccount:bdk-system:${account}`);
    }
  });
});

describe('book-controller', () => {
  it('defaults the book image, port and URL templates to the shared conventions', async () => {
    expect(await appEnv('book-controller')).toMatchObject({
      BDK_BOOK_IMAGE_TEMPLATE: 'ghcr.io/bdk-books/{name}:{version}',
      BDK_BOOK_PORT: '8080',
      BDK_BOOK_URL_TEMPLATE: 'http://{service}.{namespace}.svc:{port}',
      BDK_CONTROLLER_WORKERS: '2',
      BDK_DISPATCH_TIMEOUT_MS: '10000',
    });
  });

  it('accepts tokens for bdk-book-controller from the library-service and webhook-router of its release by default', async () => {
    expect(await appEnv('book-controller', { release: 'prod', namespace: 'bdk-system' })).toMatchObject({
      BDK_INTERNAL_AUDIENCE: 'bdk-book-controller',
      BDK_LIBRARY_SERVICE_IDENTITY: 'system:serviceaccount:bdk-system:prod-library-service',
      BDK_WEBHOOK_ROUTER_IDENTITY: 'system:serviceaccount:bdk-system:prod-webhook-router',
    });
  });

  it('takes the audience and the callers’ ServiceAccounts and namespaces from internalAuth', async () => {
    expect(await appEnv('book-controller', { valuesFiles: ['ci/production-values.yaml'], namespace: 'bdk-system' })).toMatchObject({
      BDK_INTERNAL_AUDIENCE: 'bdk-controller.internal',
      BDK_LIBRARY_SERVICE_IDENTITY: 'system:serviceaccount:bdk-system:bdk-books-api',
      BDK_WEBHOOK_ROUTER_IDENTITY: 'system:serviceaccount:bdk-edge:bdk-webhooks',
    });
  });

  it('refuses a caller ServiceAccount or namespace that Kubernetes could not name', async () => {
    const error = await renderError('book-controller', { set: { 'internalAuth.callers.webhookRouter.namespace': 'Edge NS' } });
    expect(error).toMatch(/internalAuth\/callers\/webhookRouter\/namespace/);
    expect(await renderError('book-controller', { set: { 'internalAuth.callers.libraryService.serviceAccount': 'a:b' } })).toMatch(/libraryService\/serviceAccount/);
  });

  it('elects a leader on the Lease named after the release, with client-go\u2019s timings and retry rate, by default', async () => {
    const container = await appContainer('book-controller', { release: 'prod' });
    expect(await appEnv('book-controller', { release: 'prod' })).toMatchObject({
      BDK_LEADER_ELECTION: 'true',
      BDK_LEADER_ELECTION_LEASE_NAME: 'prod-book-controller',
      BDK_LEADER_ELECTION_LEASE_DURATION_MS: '15000',
      BDK_LEADER_ELECTION_RENEW_DEADLINE_MS: '10000',
      BDK_LEADER_ELECTION_RETRY_PERIOD_MS: '2000',
      BDK_CONTROLLER_QPS: '10',
      BDK_CONTROLLER_BURST: '100',
    });
    // The holder identity starts with the pod's name.
    expect(container.env?.find((e) => e.name === 'POD_NAME')?.valueFrom).toEqual({ fieldRef: { fieldPath: 'metadata.name' } });
  });

  it('takes the Lease and its timings from leaderElection, and the retry rate from workQueue', async () => {
    const env = await appEnv('book-controller', {
      set: {
        leaderElection: { enabled: true, leaseName: 'controller-lease', leaseDurationMs: 30000, renewDeadlineMs: 20000, retryPeriodMs: 4000 },
        workQueue: { qps: 5, burst: 50 },
      },
    });
    expect(env).toMatchObject({
      BDK_LEADER_ELECTION_LEASE_NAME: 'controller-lease',
      BDK_LEADER_ELECTION_LEASE_DURATION_MS: '30000',
      BDK_LEADER_ELECTION_RENEW_DEADLINE_MS: '20000',
      BDK_LEADER_ELECTION_RETRY_PERIOD_MS: '4000',
      BDK_CONTROLLER_QPS: '5',
      BDK_CONTROLLER_BURST: '50',
    });
    expect(await appEnv('book-controller', { set: { replicaCount: 1, 'leaderElection.enabled': false } })).toMatchObject({ BDK_LEADER_ELECTION: 'false' });
  });

  it('runs a leader and a standby, replaced one at a time, with a PodDisruptionBudget keeping one; one replica gets no budget', async () => {
    const rendered = await render('book-controller');
    const deployment = rendered.one<V1Deployment>('Deployment');
    expect(deployment.spec?.replicas).toBe(2);
    expect(deployment.spec?.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    const budget = rendered.one<V1PodDisruptionBudget>('PodDisruptionBudget');
    expect(budget.spec).toEqual({ minAvailable: 1, selector: { matchLabels: deployment.spec?.selector.matchLabels } });
    // With one pod a budget of one would block every node drain.
    expect((await render('book-controller', { set: { replicaCount: 1 } })).all('PodDisruptionBudget')).toEqual([]);
    expect((await render('book-controller', { set: { 'podDisruptionBudget.enabled': false } })).all('PodDisruptionBudget')).toEqual([]);
  });

  it('refuses several replicas without leader election, and timings that let a leader outlive its Lease', async () => {
    expect(await renderError('book-controller', { set: { 'leaderElection.enabled': false } })).toMatch(/replicaCount is 2 with leaderElection.enabled false/);
    expect(await renderError('book-controller', { set: { 'leaderElection.renewDeadlineMs': 15000 } })).toMatch(/leaseDurationMs > renewDeadlineMs > retryPeriodMs, got 15000, 15000, 2000/);
    expect(await renderError('book-controller', { set: { 'leaderElection.retryPeriodMs': 10000 } })).toMatch(/got 15000, 10000, 10000/);
    expect(await renderError('book-controller', { set: { 'leaderElection.leaseName': 'Book_Controller' } })).toMatch(/leaderElection\/leaseName/);
    expect(await renderError('book-controller', { set: { extraEnv: [{ name: 'BDK_LEADER_ELECTION', value: 'false' }] } })).toMatch(/extraEnv/);
  });

  it('takes them from books.*, workers and dispatchTimeoutMs', async () => {
    const env = await appEnv('book-controller', { valuesFiles: ['ci/production-values.yaml'] });
    expect(env).toMatchObject({
      BDK_BOOK_IMAGE_TEMPLATE: 'registry.example.com/books/{name}:{version}',
      BDK_BOOK_PORT: '9000',
      BDK_BOOK_URL_TEMPLATE: 'http://{service}.{namespace}.svc.cluster.local:{port}',
      BDK_CONTROLLER_WORKERS: '4',
      BDK_DISPATCH_TIMEOUT_MS: '5000',
    });
  });
});

describe('webhook-router', () => {
  it('waits 10 s for the controller by default, at most 25 s (below the sidecar route timeout)', async () => {
    expect((await appEnv('webhook-router'))['BDK_CONTROLLER_TIMEOUT_MS']).toBe('10000');
    await expect(render('webhook-router', { set: { controllerTimeoutMs: 30000 } })).rejects.toThrow(/controllerTimeoutMs/);
  });

  it('tolerates 300 s of webhook timestamp skew by default, webhooks.timestampToleranceSeconds otherwise', async () => {
    expect((await appEnv('webhook-router'))['BDK_WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS']).toBe('300');
    expect((await appEnv('webhook-router', { valuesFiles: ['ci/production-values.yaml'] }))['BDK_WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS']).toBe('120');
    await expect(render('webhook-router', { set: { 'webhooks.timestampToleranceSeconds': 0 } })).rejects.toThrow(/timestampToleranceSeconds/);
  });

  it('holds no signing secret: no per-source secrets, no unsigned sources, no Secret imported', async () => {
    for (const options of [{}, { valuesFiles: ['ci/production-values.yaml'] }]) {
      const app = await appContainer('webhook-router', options);
      expect(app.envFrom).toBeUndefined();
      expect(app.env?.map((e) => e.name).filter((name) => name.startsWith('BDK_WEBHOOK_SECRET') || name === 'BDK_WEBHOOK_UNSIGNED_SOURCES')).toEqual([]);
    }
  });

  it('refuses the removed signing values and rbac, naming them', async () => {
    expect(await renderError('webhook-router', { set: { 'webhookSecrets.existingSecret': 'bdk-webhook-secrets' } })).toMatch(/additional properties 'webhookSecrets' not allowed/);
    expect(await renderError('webhook-router', { set: { unsignedSources: ['internal-cron'] } })).toMatch(/additional properties 'unsignedSources' not allowed/);
    expect(await renderError('webhook-router', { set: { 'rbac.create': true } })).toMatch(/additional properties 'rbac' not allowed/);
  });
});
