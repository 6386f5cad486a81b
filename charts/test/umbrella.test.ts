// The bdk umbrella: the CRDs from crds/, the three app charts as vendored by `nx run charts:generate` (and up to
// date with their sources), each one switchable, values passed through, the router wired to the controller.
import type { V1CustomResourceDefinition, V1Deployment, V1Service } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { appCharts, assertGenerated, chartPath, helmOk, render, type Manifest } from './helm.js';

beforeAll(() => assertGenerated());

const identity = (o: Manifest) => `${o.kind}/${o.metadata.name}`;

describe('bdk umbrella', () => {
  it('installs the three apps by default', async () => {
    const rendered = await render('bdk');
    expect(rendered.all('Deployment').map((d) => d.metadata.name).sort()).toEqual(appCharts.map((c) => `bdk-${c}`).sort());
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
    const apps = new Set(rendered.objects.map((o) => o.metadata.labels?.['app.kubernetes.io/name']));
    expect([...apps]).toEqual(['library-service']);
  });

  it('passes component values through to the component charts', async () => {
    const rendered = await render('bdk', { valuesFiles: ['ci/production-values.yaml'] });
    const deployment = rendered.one<V1Deployment>('Deployment', 'bdk-library-service');
    expect(deployment.spec?.replicas).toBe(2);
    const env = deployment.spec?.template.spec?.containers[0]?.env ?? [];
    expect(env).toContainEqual({ name: 'BDK_MODEL_MANAGER_URL', value: 'http://model-manager.models:9090' });
  });

  it('wires the webhook-router to the book-controller Service it installs', async () => {
    for (const release of ['bdk', 'prod-book-controller']) {
      const rendered = await render('bdk', { release });
      const controller = rendered.all<V1Service>('Service').find((s) => s.metadata.labels?.['app.kubernetes.io/name'] === 'book-controller');
      const router = rendered.all<V1Deployment>('Deployment').find((d) => d.metadata.labels?.['app.kubernetes.io/name'] === 'webhook-router');
      const url = router?.spec?.template.spec?.containers[0]?.env?.find((e) => e.name === 'BDK_CONTROLLER_URL')?.value;
      expect(url).toBe(`http://${controller?.metadata.name}:9090`);
    }
  });

  it('ships the three CRDs in crds/, where Helm installs them before the templates', async () => {
    const crds = (await render('bdk', { includeCrds: true })).all<V1CustomResourceDefinition>('CustomResourceDefinition');
    expect(crds.map((c) => c.metadata.name).sort()).toEqual([
      'bookdefinitions.bdk.voyager.io',
      'bookinstancedefinitions.bdk.voyager.io',
      'externalbookdefinitions.bdk.voyager.io',
    ]);
    expect(readdirSync(path.join(chartPath('bdk'), 'templates')).filter((f) => f.endsWith('.yaml'))).toEqual([]);
  });

  it('has its dependencies locked and vendored: helm dependency list says ok for each', async () => {
    const listing = await helmOk(['dependency', 'list', chartPath('bdk')]);
    for (const chart of appCharts) expect(listing).toMatch(new RegExp(`^${chart}\\s+0\\.1\\.0\\s+file://\\.\\./${chart}\\s+ok\\s*$`, 'm'));
  });
});
