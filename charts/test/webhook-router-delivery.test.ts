// The webhook-router chart's durable delivery: every delivery, idempotency and rate-limit value reaches the app as
// the variable it reads; the SQLite store gets a volume (a PersistentVolumeClaim by default, an existing claim, or
// an emptyDir for throwaway installs) at /var/lib/bdk/webhook-router, one replica and the Recreate strategy; the
// NATS store gets its URL and as many replicas as asked, and no volume.
import type { V1Container, V1Deployment, V1PersistentVolumeClaim, V1Volume } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { assertGenerated, render, renderError, type RenderOptions, type Rendered } from './helm.js';

beforeAll(() => assertGenerated());

const deliveriesDir = '/var/lib/bdk/webhook-router';

function deployment(rendered: Rendered): V1Deployment {
  return rendered.one<V1Deployment>('Deployment');
}

function app(rendered: Rendered): V1Container {
  const found = deployment(rendered).spec?.template.spec?.containers.find((c) => c.name === 'webhook-router');
  if (!found) throw new Error('no webhook-router container');
  return found;
}

function env(rendered: Rendered): Record<string, string | undefined> {
  return Object.fromEntries((app(rendered).env ?? []).map((e) => [e.name, e.value]));
}

/** The volume mounted at the deliveries directory, or undefined. */
function deliveriesVolume(rendered: Rendered): V1Volume | undefined {
  const mount = app(rendered).volumeMounts?.find((m) => m.mountPath === deliveriesDir);
  return deployment(rendered).spec?.template.spec?.volumes?.find((v) => v.name === mount?.name);
}

const renderRouter = (options: RenderOptions = {}) => render('webhook-router', { release: 'bdk', namespace: 'bdk', ...options });

describe('webhook-router delivery settings', () => {
  it('by default: SQLite in the volume, the documented defaults, and no router rate limit', async () => {
    expect(env(await renderRouter())).toMatchObject({
      BDK_DELIVERY_STORE: 'sqlite',
      BDK_DELIVERY_SQLITE_PATH: `${deliveriesDir}/deliveries.sqlite`,
      BDK_DELIVERY_FIRST_ATTEMPT_BUDGET_MS: '2000',
      BDK_DELIVERY_RETRY_SCHEDULE: '5s,5m,30m,2h,5h,10h,10h',
      BDK_DELIVERY_RETENTION_HOURS: '168',
      BDK_WEBHOOK_IDEMPOTENCY_WINDOW_HOURS: '24',
      BDK_DELIVERY_MAX_PENDING: '100000',
      BDK_DELIVERY_CONCURRENCY: '64',
      BDK_WEBHOOK_SOURCE_RATE: '0',
      BDK_WEBHOOK_ORGANIZATION_RATE: '0',
    });
    const variables = Object.keys(env(await renderRouter()));
    expect(variables).not.toContain('BDK_NATS_URL');
    // A burst of 0 is left to the router (one second's worth of the rate).
    expect(variables.filter((name) => name.endsWith('_BURST'))).toEqual([]);
  });

  it('takes each one from its value, large numbers written out in full', async () => {
    const rendered = await renderRouter({ valuesFiles: ['ci/production-values.yaml'] });
    expect(env(rendered)).toMatchObject({
      BDK_DELIVERY_STORE: 'sqlite',
      BDK_DELIVERY_FIRST_ATTEMPT_BUDGET_MS: '500',
      BDK_DELIVERY_RETRY_SCHEDULE: '10s,1m,10m,1h,6h,12h,1d,1d,1d',
      BDK_DELIVERY_RETENTION_HOURS: '720',
      BDK_WEBHOOK_IDEMPOTENCY_WINDOW_HOURS: '72',
      BDK_DELIVERY_MAX_PENDING: '1000000',
      BDK_DELIVERY_CONCURRENCY: '32',
    });
    const nats = await renderRouter({ valuesFiles: ['ci/nats-values.yaml'] });
    expect(env(nats)).toMatchObject({
      BDK_DELIVERY_STORE: 'nats',
      BDK_NATS_URL: 'nats://nats-0.nats.messaging.svc:4222,nats://nats-1.nats.messaging.svc:4222',
      BDK_WEBHOOK_SOURCE_RATE: '50',
      BDK_WEBHOOK_SOURCE_BURST: '100',
      BDK_WEBHOOK_ORGANIZATION_RATE: '200',
    });
    expect(env(nats)).not.toHaveProperty('BDK_WEBHOOK_ORGANIZATION_BURST');
    expect(env(nats)).not.toHaveProperty('BDK_DELIVERY_SQLITE_PATH');
  });

  it('refuses values the router would refuse, naming them', async () => {
    expect(await renderError('webhook-router', { set: { 'delivery.store': 'redis' } })).toMatch(/delivery\/store/);
    expect(await renderError('webhook-router', { set: { 'delivery.retrySchedule': '5 seconds' } })).toMatch(/delivery\/retrySchedule/);
    expect(await renderError('webhook-router', { set: { 'delivery.firstAttemptBudgetMs': 30000 } })).toMatch(/delivery\/firstAttemptBudgetMs/);
    expect(await renderError('webhook-router', { set: { 'delivery.nats.url': 'http://nats:4222' } })).toMatch(/delivery\/nats\/url/);
    expect(await renderError('webhook-router', { set: { 'rateLimits.source': { rate: -1, burst: 0 } } })).toMatch(/rateLimits\/source\/rate/);
    expect(await renderError('webhook-router', { set: { 'webhooks.idempotencyWindowHours': 0 } })).toMatch(/idempotencyWindowHours/);
    expect(await renderError('webhook-router', { set: { 'persistence.size': 'big' } })).toMatch(/persistence\/size/);
  });

  it('refuses extraEnv that would shadow a delivery variable', async () => {
    for (const name of ['BDK_DELIVERY_STORE', 'BDK_DELIVERY_SQLITE_PATH', 'BDK_NATS_URL', 'BDK_WEBHOOK_SOURCE_RATE']) {
      expect(await renderError('webhook-router', { set: { extraEnv: [{ name, value: 'x' }] } })).toMatch(/extraEnv\/0\/name/);
    }
  });
});

describe('webhook-router with the SQLite store', () => {
  it('claims a volume by default, kept on uninstall, and mounts it writable at /var/lib/bdk/webhook-router', async () => {
    const rendered = await renderRouter();
    const claim = rendered.one<V1PersistentVolumeClaim>('PersistentVolumeClaim');
    expect(claim.metadata.name).toBe('bdk-webhook-router-deliveries');
    expect(claim.metadata.annotations).toEqual({ 'helm.sh/resource-policy': 'keep' });
    expect(claim.spec).toEqual({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } });
    expect(deliveriesVolume(rendered)).toEqual({ name: 'deliveries', persistentVolumeClaim: { claimName: 'bdk-webhook-router-deliveries' } });
    expect(app(rendered).volumeMounts?.find((m) => m.mountPath === deliveriesDir)?.readOnly).toBeUndefined();
    // The volume is writable by the app's user: the pod's fsGroup is its group.
    expect(deployment(rendered).spec?.template.spec?.securityContext).toMatchObject({ runAsGroup: 1000, fsGroup: 1000 });
  });

  it('sizes and classes the claim from persistence, and "-" asks for no StorageClass', async () => {
    const production = (await renderRouter({ valuesFiles: ['ci/production-values.yaml'] })).one<V1PersistentVolumeClaim>('PersistentVolumeClaim');
    expect(production.spec).toEqual({ accessModes: ['ReadWriteOncePod'], storageClassName: 'fast-ssd', resources: { requests: { storage: '20Gi' } } });
    expect(production.metadata.annotations).toEqual({ 'helm.sh/resource-policy': 'keep', 'backup.example.com/schedule': 'hourly' });
    const noClass = (await renderRouter({ set: { 'persistence.storageClass': '-', 'persistence.keepOnUninstall': false } })).one<V1PersistentVolumeClaim>(
      'PersistentVolumeClaim',
    );
    expect(noClass.spec?.storageClassName).toBe('');
    expect(noClass.metadata.annotations).toBeUndefined();
  });

  it('uses an existing claim instead of making one', async () => {
    const rendered = await renderRouter({ set: { 'persistence.existingClaim': 'bdk-webhook-deliveries' } });
    expect(rendered.all('PersistentVolumeClaim')).toEqual([]);
    expect(deliveriesVolume(rendered)?.persistentVolumeClaim?.claimName).toBe('bdk-webhook-deliveries');
  });

  it('uses an emptyDir for a throwaway install (persistence.enabled false)', async () => {
    const rendered = await renderRouter({ set: { 'persistence.enabled': false } });
    expect(rendered.all('PersistentVolumeClaim')).toEqual([]);
    expect(deliveriesVolume(rendered)).toEqual({ name: 'deliveries', emptyDir: {} });
  });

  it('replaces the pod with the Recreate strategy, so that two pods never open the file', async () => {
    expect(deployment(await renderRouter()).spec?.strategy).toEqual({ type: 'Recreate' });
  });

  it('refuses more than one replica, saying why and what to do instead', async () => {
    const error = await renderError('webhook-router', { set: { replicaCount: 2 } });
    expect(error).toContain('replicaCount is 2, but delivery.store sqlite keeps the queue in one SQLite file that only one pod may open');
    expect(error).toContain('set delivery.store to nats');
    expect((await renderRouter({ set: { replicaCount: 0 } })).one<V1Deployment>('Deployment').spec?.replicas).toBe(0);
  });
});

describe('webhook-router with the NATS store', () => {
  it('runs the replicas asked for with the default rolling update, and no volume', async () => {
    const rendered = await renderRouter({ valuesFiles: ['ci/nats-values.yaml'] });
    expect(deployment(rendered).spec?.replicas).toBe(3);
    expect(deployment(rendered).spec?.strategy).toBeUndefined();
    expect(rendered.all('PersistentVolumeClaim')).toEqual([]);
    expect(deliveriesVolume(rendered)).toBeUndefined();
    expect((app(rendered).volumeMounts ?? []).filter((m) => m.readOnly !== true)).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
  });

  it('refuses to render without delivery.nats.url', async () => {
    const error = await renderError('webhook-router', { set: { 'delivery.store': 'nats' } });
    expect(error).toContain('delivery.store is nats, but delivery.nats.url is empty');
  });
});
