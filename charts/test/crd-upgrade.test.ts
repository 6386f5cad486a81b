// The umbrella's CRDs through a release's life, with Helm 3 and with Helm 4, each in its own real kube-apiserver:
// `helm install` creates them (from templates, annotated to be kept), a book stored in them survives everything
// below, `helm upgrade` to a next chart version whose BookDefinition CRD gained a printer column applies that column
// (a crds/ folder would have been left as first installed), an upgrade with crds.install false and then `helm
// uninstall` leave the CRDs in place (helm.sh/resource-policy: keep). The next version is the chart copied into a
// temp dir with the changed CRD, the way `nx run charts:generate` would copy a changed crds/ file into it.
import { ApiextensionsV1Api, CustomObjectsApi, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startKubeEnv, waitUntil, type KubeEnv } from '@bdk/testing';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { assertGenerated, chartPath, defaultValuesFile, helmOk, helmVersions, type HelmBinary } from './helm.js';

const namespace = 'bdk';
const release = 'bdk';
const crdName = 'bookdefinitions.bdk.voyager.io';
const crdNames = [crdName, 'bookinstancedefinitions.bdk.voyager.io', 'externalbookdefinitions.bdk.voyager.io'];
const column = { name: 'Chart-Test', type: 'string', jsonPath: '.spec.description' };

beforeAll(() => assertGenerated());

/** The umbrella copied into a temp dir as version 0.1.1, its BookDefinition CRD with one more printer column. */
function nextChartVersion(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bdk-chart-next-'));
  const chart = path.join(dir, 'bdk');
  cpSync(chartPath('bdk'), chart, { recursive: true });
  const chartYaml = path.join(chart, 'Chart.yaml');
  writeFileSync(chartYaml, readFileSync(chartYaml, 'utf8').replace(/^version: 0\.1\.0$/m, 'version: 0.1.1'));
  const crdFile = path.join(chart, 'files', 'crds', `${crdName}.yaml`);
  const crd = parse(readFileSync(crdFile, 'utf8')) as V1CustomResourceDefinition;
  for (const version of crd.spec.versions) version.additionalPrinterColumns = [...(version.additionalPrinterColumns ?? []), column];
  writeFileSync(crdFile, stringify(crd));
  return chart;
}

describe.each(helmVersions)('the CRDs through install, upgrade and uninstall with %s', (bin: HelmBinary) => {
  let kube: KubeEnv | undefined;
  let next: string | undefined;
  const values = path.join(chartPath('bdk'), defaultValuesFile);

  function env(): KubeEnv {
    if (!kube) throw new Error('kube-apiserver did not start');
    return kube;
  }

  const run = (args: string[]) => helmOk(args, { bin, kubeconfig: env().kubeconfigPath });
  const readCrd = (name = crdName) => env().kubeConfig.makeApiClient(ApiextensionsV1Api).readCustomResourceDefinition({ name });
  const columns = async () => (await readCrd()).spec.versions.map((v) => (v.additionalPrinterColumns ?? []).map((c) => c.name));

  beforeAll(async () => {
    next = nextChartVersion();
    kube = await startKubeEnv({ installCrds: false });
    await run(['install', release, chartPath('bdk'), '--namespace', namespace, '--create-namespace', '--values', values]);
  }, 180_000);

  afterAll(async () => {
    await kube?.stop();
    if (next) rmSync(path.dirname(next), { recursive: true, force: true });
  });

  it('installs the CRDs as objects of the release, kept on uninstall, and stores a book in them', async () => {
    for (const name of crdNames) {
      const crd = await readCrd(name);
      expect([name, crd.metadata?.annotations?.['meta.helm.sh/release-name'], crd.metadata?.annotations?.['helm.sh/resource-policy']]).toEqual([name, release, 'keep']);
    }
    expect((await columns()).flat()).not.toContain(column.name);
    const book = parse(readFileSync(path.join(chartPath('bdk'), 'examples', 'book-definition.yaml'), 'utf8')) as { metadata: { name: string } };
    await env().kubeConfig.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({ group: 'bdk.voyager.io', version: 'v1', namespace, plural: 'bookdefinitions', body: book });
  });

  it('applies a changed CRD on helm upgrade to the next chart version', async () => {
    await run(['upgrade', release, next ?? '', '--namespace', namespace, '--values', values]);
    for (const names of await columns()) expect(names).toContain(column.name);
    const history = await run(['history', release, '--namespace', namespace, '--output', 'json']);
    expect((JSON.parse(history) as { revision: number; chart: string }[]).map((r) => [r.revision, r.chart])).toEqual([
      [1, 'bdk-0.1.0'],
      [2, 'bdk-0.1.1'],
    ]);
  });

  it('keeps the CRDs and the book when an upgrade stops installing them, and on uninstall', async () => {
    await run(['upgrade', release, next ?? '', '--namespace', namespace, '--values', values, '--set', 'crds.install=false']);
    expect((await readCrd()).metadata?.deletionTimestamp).toBeUndefined();
    await run(['uninstall', release, '--namespace', namespace]);
    const api = env().kubeConfig.makeApiClient(ApiextensionsV1Api);
    const left = (await api.listCustomResourceDefinition()).items.filter((c) => !c.metadata?.deletionTimestamp).map((c) => c.metadata?.name);
    expect(left.sort()).toEqual(crdNames);
    // After a CRD changes, the apiserver rebuilds its storage of that resource, answering 429 until it is done.
    const books = await waitUntil('the bookdefinitions storage to serve again', () =>
      env().kubeConfig.makeApiClient(CustomObjectsApi).listNamespacedCustomObject({ group: 'bdk.voyager.io', version: 'v1', namespace, plural: 'bookdefinitions' }),
    );
    expect((books as { items: { metadata: { name: string } }[] }).items.map((b) => b.metadata.name)).toEqual(['customer-support-book']);
  });
});
