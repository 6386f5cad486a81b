// The bdk umbrella: the CRDs of crds/ as templates, the three app charts as vendored by `nx run charts:generate` (and up to
// date with their sources), each one switchable, values passed through, the library-service and router wired to
// the controller, and the controller accepting exactly their ServiceAccounts.
import type { V1CustomResourceDefinition, V1Deployment, V1PersistentVolumeClaim, V1Service, V1ServiceAccount } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { appCharts, assertGenerated, chartPath, helmOk, render, renderError, type AppChart, type Manifest, type Rendered } from './helm.js';

beforeAll(() => assertGenerated());

const identity = (o: Manifest) => `${o.kind}/${o.metadata.name}`;

function ofApp<T extends Manifest>(objects: T[], app: AppChart): T | undefined {
  return objects.find((o) => o.metadata.labels?.['app.kubernetes.io/name'] === app);
}

function appEnv(rendered: Rendered, app: AppChart): Record<string, string | undefined> {
  const deployment = ofApp(rendered.all<V1Deployment>('Deployment'), app);
  const container = deployment?.spec?.template.spec?.containers.find((c) => c.name === app);
  return Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value]));
}

/** The Kubernetes username of the ServiceAccount an app's pods run as, from the rendered objects. */
function podIdentity(rendered: Rendered, app: AppChart, namespace: string): string {
  const pod = ofApp(rendered.all<V1Deployment>('Deployment'), app)?.spec?.template.spec;
  const account = ofApp(rendered.all<V1ServiceAccount>('ServiceAccount'), app);
  // The pods run as the ServiceAccount the chart renders (created here, not assumed to exist).
  expect(pod?.serviceAccountName).toBe(account?.metadata.name);
  return `system:serviceaccount:${namespace}:${account?.metadata.name}`;
}

describe('bdk umbrella', () => {
  it('installs the three apps and the gateway by default', async () => {
    const rendered = await render('bdk');
    expect(rendered.all('Deployment').map((d) => d.metadata.name).sort()).toEqual([...appCharts.map((c) => `bdk-${c}`), 'bdk-gateway'].sort());
  });

  it('renders each app exactly as its own chart does (the vendored copies are current)', async () => {
    const umbrella = await render('bdk', { release: 'bdk', namespace: 'bdk' });
    for (const chart of appCharts) {
      const own = await render(chart, { release: 'bdk', namespace: 'bdk' });
      const fromUmbrella = umbrella.objects.filter((o) => o.metadata.labels?.['app.kubernetes.io/name'] === chart);
      expect(fromUmbrella.map(identity).sort()).toEqual(own.objects.map(identity).sort());
      expect(fromUmbrella).toEqual(expect.arrayContaining([...own.objects]));
    }
  });

  it('leaves out a disabled app', async () => {
    const rendered = await render('bdk', { valuesFiles: ['ci/api-only-values.yaml'] });
    const apps = new Set(rendered.objects.filter((o) => o.kind !== 'CustomResourceDefinition' && o.metadata.labels?.['app.kubernetes.io/component'] !== 'gateway').map((o) => o.metadata.labels?.['app.kubernetes.io/name']));
    expect([...apps]).toEqual(['library-service']);
  });

  it('passes component values through to the component charts', async () => {
    const rendered = await render('bdk', { valuesFiles: ['ci/production-values.yaml'] });
    const deployment = rendered.one<V1Deployment>('Deployment', 'bdk-library-service');
    expect(deployment.spec?.replicas).toBe(2);
    const env = deployment.spec?.template.spec?.containers[0]?.env ?? [];
    expect(env).toContainEqual({ name: 'BDK_MODEL_MANAGER_URL', value: 'http://model-manager.models:9090' });
    // The router's delivery settings and its volume, from webhook-router.*.
    expect(appEnv(rendered, 'webhook-router')).toMatchObject({
      BDK_DELIVERY_STORE: 'sqlite',
      BDK_DELIVERY_RETENTION_HOURS: '336',
      BDK_WEBHOOK_IDEMPOTENCY_WINDOW_HOURS: '48',
      BDK_WEBHOOK_ORGANIZATION_RATE: '500',
      BDK_WEBHOOK_ORGANIZATION_BURST: '1000',
    });
    const claim = rendered.one<V1PersistentVolumeClaim>('PersistentVolumeClaim', 'bdk-webhook-router-deliveries');
    expect(claim.spec).toMatchObject({ storageClassName: 'fast-ssd', resources: { requests: { storage: '10Gi' } } });
  });

  it('wires the library-service and the webhook-router to the book-controller Service it installs', async () => {
    for (const release of ['bdk', 'prod-book-controller']) {
      const rendered = await render('bdk', { release });
      const controller = ofApp(rendered.all<V1Service>('Service'), 'book-controller');
      const grpc = controller?.spec?.ports?.find((p) => p.name === 'grpc')?.port;
      for (const app of ['library-service', 'webhook-router'] as const) {
        expect([app, appEnv(rendered, app)['BDK_CONTROLLER_URL']]).toEqual([app, `http://${controller?.metadata.name}:${grpc}`]);
      }
    }
  });

  describe('the book-controller’s callers', () => {
    const namespace = 'bdk-system';
    const cases: { label: string; release: string; set?: Record<string, unknown> }[] = [
      { label: 'defaults', release: 'bdk' },
      { label: 'a release named after a caller', release: 'team-webhook-router' },
      { label: 'the longest release name', release: 'r'.repeat(53) },
      {
        label: 'renamed callers, named to the controller',
        release: 'bdk',
        set: {
          'library-service.fullnameOverride': 'books-api',
          'webhook-router.serviceAccount': { create: true, name: 'hooks', annotations: {} },
          'book-controller.internalAuth.callers': { libraryService: { serviceAccount: 'books-api' }, webhookRouter: { serviceAccount: 'hooks' } },
        },
      },
    ];

    it.each(cases)('are accepted as exactly the ServiceAccounts their pods run as ($label)', async ({ release, set }) => {
      const rendered = await render('bdk', { release, namespace, ...(set ? { set } : {}) });
      const controller = appEnv(rendered, 'book-controller');
      expect(controller['BDK_LIBRARY_SERVICE_IDENTITY']).toBe(podIdentity(rendered, 'library-service', namespace));
      expect(controller['BDK_WEBHOOK_ROUTER_IDENTITY']).toBe(podIdentity(rendered, 'webhook-router', namespace));
    });

    it('request their controller tokens for the audience the controller accepts', async () => {
      const rendered = await render('bdk', { valuesFiles: ['ci/production-values.yaml'] });
      const audience = appEnv(rendered, 'book-controller')['BDK_INTERNAL_AUDIENCE'];
      for (const app of ['library-service', 'webhook-router'] as const) {
        const volumes = ofApp(rendered.all<V1Deployment>('Deployment'), app)?.spec?.template.spec?.volumes ?? [];
        const token = volumes.flatMap((v) => v.projected?.sources ?? []).map((source) => source.serviceAccountToken?.audience);
        expect([app, token]).toEqual([app, [audience]]);
      }
    });

    it('refuses to render when the controller would not accept a caller, saying what to set', async () => {
      const renamed = await renderError('bdk', { set: { 'webhook-router.serviceAccount': { create: true, name: 'hooks', annotations: {} } } });
      expect(renamed).toMatch(/the book-controller would accept system:serviceaccount:bdk:bdk-webhook-router as the webhook-router, but its pods run as system:serviceaccount:bdk:hooks/);
      expect(renamed).toMatch(/set book-controller\.internalAuth\.callers\.webhookRouter\.serviceAccount to hooks/);
      const elsewhere = await renderError('bdk', { set: { 'book-controller.internalAuth.callers.libraryService.namespace': 'other' } });
      expect(elsewhere).toMatch(/accept system:serviceaccount:other:bdk-library-service as the library-service/);
      const audience = await renderError('bdk', { set: { 'webhook-router.controllerAudience': 'other-audience' } });
      expect(audience).toMatch(/webhook-router\.controllerAudience \(other-audience\) differs from book-controller\.internalAuth\.audience \(bdk-book-controller\)/);
    });

    it('refuses to render when a caller would miss the controller Service, unless its controllerUrl is set', async () => {
      const moved = { 'book-controller.fullnameOverride': 'controller' };
      expect(await renderError('bdk', { set: moved })).toMatch(
        /library-service would call the book-controller at http:\/\/bdk-book-controller:9090, but this release installs it at http:\/\/controller:9090: set library-service\.controllerUrl/,
      );
      expect(await renderError('bdk', { set: { 'book-controller.service.ports': { grpc: 9191, metrics: 9464 } } })).toMatch(/installs it at http:\/\/bdk-book-controller:9191/);
      const pointed = await render('bdk', {
        set: { ...moved, 'library-service.controllerUrl': 'http://controller:9090', 'webhook-router.controllerUrl': 'http://controller:9090' },
      });
      expect(appEnv(pointed, 'webhook-router')['BDK_CONTROLLER_URL']).toBe('http://controller:9090');
    });
  });

  describe('CRDs', () => {
    const crdNames = ['bookdefinitions.bdk.voyager.io', 'bookinstancedefinitions.bdk.voyager.io', 'externalbookdefinitions.bdk.voyager.io'];
    const crdsOf = (rendered: Rendered) => rendered.all<V1CustomResourceDefinition>('CustomResourceDefinition');

    it('renders each CRD of crds/ as a template (so helm upgrade applies it), equal to its source plus the release labels and helm.sh/resource-policy: keep', async () => {
      const crds = crdsOf(await render('bdk'));
      expect(crds.map((c) => c.metadata.name).sort()).toEqual(crdNames);
      for (const crd of crds) {
        const source = parse(readFileSync(path.join(chartPath('bdk'), 'crds', `${crd.metadata.name}.yaml`), 'utf8')) as V1CustomResourceDefinition;
        source.metadata = {
          ...source.metadata,
          labels: { ...source.metadata?.labels, 'app.kubernetes.io/instance': 'bdk', 'app.kubernetes.io/managed-by': 'Helm', 'helm.sh/chart': 'bdk-0.1.0' },
          annotations: { ...source.metadata?.annotations, 'helm.sh/resource-policy': 'keep' },
        };
        expect(crd).toEqual(source);
      }
    });

    it('keeps crds/ out of the chart, so Helm does not also install them as its never-upgraded crds/ folder', async () => {
      expect(crdsOf(await render('bdk', { includeCrds: true })).map((c) => c.metadata.name).sort()).toEqual(crdNames);
      const show = await helmOk(['show', 'crds', chartPath('bdk')]);
      expect(show.trim()).toBe('');
    });

    it('leaves the CRDs out with crds.install false, and unannotated with crds.keep false', async () => {
      expect(crdsOf(await render('bdk', { set: { 'crds.install': false } }))).toEqual([]);
      const unkept = crdsOf(await render('bdk', { set: { 'crds.keep': false } }));
      expect(unkept.map((c) => [c.metadata.name, c.metadata.annotations?.['helm.sh/resource-policy']])).toEqual(crdNames.map(() => [expect.any(String), undefined]));
      expect(await renderError('bdk', { set: { 'crds.keep': 'yes' } })).toMatch(/crds\.keep|keep/);
    });

    it('renders nothing else of its own but the gateway (its other template only checks the wiring): every other object is an app’s', async () => {
      const rendered = await render('bdk');
      const own = (o: Manifest) => o.kind === 'CustomResourceDefinition' || o.metadata.labels?.['app.kubernetes.io/name'] === 'bdk-gateway';
      const others = rendered.objects.filter((o) => !own(o) && !appCharts.includes(o.metadata.labels?.['app.kubernetes.io/name'] as AppChart));
      expect(others.map(identity)).toEqual([]);
    });
  });

  it('has its dependencies locked and vendored: helm dependency list says ok for each', async () => {
    const listing = await helmOk(['dependency', 'list', chartPath('bdk')]);
    for (const chart of appCharts) expect(listing).toMatch(new RegExp(`^${chart}\\s+0\\.1\\.0\\s+file://\\.\\./${chart}\\s+ok\\s*$`, 'm'));
  });
});
