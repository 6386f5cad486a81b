// Every chart, with its defaults and with each ci/*-values.yaml scenario: `helm lint --strict` passes and the
// rendered objects are well-formed, labelled and in the release namespace. And the strict schemas refuse a
// misspelt key instead of ignoring it.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { allCharts, appCharts, assertGenerated, chartPath, ciValuesFiles, helm, render, renderError } from './helm.js';

beforeAll(() => assertGenerated());

const clusterScoped = new Set(['ClusterRole', 'ClusterRoleBinding', 'Namespace', 'CustomResourceDefinition']);

// ci/default-values.yaml is each chart's smallest install: every default, plus an identity provider where needed.
const scenarios = allCharts.flatMap((chart) => ciValuesFiles(chart).map((file) => ({ chart, valuesFiles: [file], label: file })));

it.each(allCharts)('%s has a defaults scenario and at least one other', (chart) => {
  expect(ciValuesFiles(chart)).toContain('ci/default-values.yaml');
  expect(ciValuesFiles(chart).length).toBeGreaterThan(1);
});

describe.each(scenarios)('$chart with $label', ({ chart, valuesFiles }) => {
  it('passes helm lint --strict', async () => {
    const result = await helm(['lint', '--strict', chartPath(chart), ...valuesFiles.flatMap((f) => ['--values', `${chartPath(chart)}/${f}`])]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(result.code).toBe(0);
  });

  it('renders labelled objects in the release namespace', async () => {
    const rendered = await render(chart, { valuesFiles, namespace: 'bdk-system', release: 'platform' });
    expect(rendered.objects.length).toBeGreaterThan(0);
    for (const object of rendered.objects) {
      const where = `${object.kind}/${object.metadata.name}`;
      expect([where, object.metadata.namespace]).toEqual([where, clusterScoped.has(object.kind) ? undefined : 'bdk-system']);
      expect([where, object.metadata.labels]).toEqual([
        where,
        expect.objectContaining({ 'app.kubernetes.io/instance': 'platform', 'app.kubernetes.io/part-of': 'bdk', 'app.kubernetes.io/managed-by': 'Helm' }),
      ]);
    }
  });
});

describe('values.schema.json', () => {
  it.each(appCharts)('%s refuses a misspelt top-level key, naming it', async (chart) => {
    const error = await renderError(chart, { set: { replicaCout: 2 } });
    expect(error).toMatch(/additional properties 'replicaCout' not allowed/);
  });

  it.each(appCharts)('%s refuses a misspelt nested key, naming it and where it is', async (chart) => {
    const error = await renderError(chart, { set: { 'image.tga': 'v1' } });
    expect(error).toMatch(/at '\/image': additional properties 'tga' not allowed/);
  });

  it.each(appCharts)('%s refuses a value of the wrong type or outside its set', async (chart) => {
    expect(await renderError(chart, { set: { replicaCount: 'two' } })).toMatch(/replicaCount/);
    expect(await renderError(chart, { set: { logLevel: 'verbose' } })).toMatch(/logLevel/);
    expect(await renderError(chart, { set: { 'image.digest': 'latest' } })).toMatch(/image\/digest/);
  });

  it.each(appCharts)('%s refuses extraEnv that would shadow a variable the chart sets', async (chart) => {
    const error = await renderError(chart, { set: { extraEnv: [{ name: 'BDK_NAMESPACE', value: 'elsewhere' }] } });
    expect(error).toMatch(/extraEnv\/0\/name/);
  });

  it('bdk refuses a misspelt component name', async () => {
    const error = await renderError('bdk', { set: { 'libary-service': { enabled: false } } });
    expect(error).toMatch(/additional properties 'libary-service' not allowed/);
  });

  it('bdk passes component values to the component chart, whose schema refuses a misspelt key', async () => {
    const error = await renderError('bdk', { set: { 'webhook-router.webhooks.timestampTolerance': 60 } });
    expect(error).toMatch(/webhook-router/);
    expect(error).toMatch(/additional properties 'timestampTolerance' not allowed/);
  });
});
