// The real Helm from the toolchain, run the way the charts' tests need it: with a throw-away Helm home (no user
// repositories, plugins or registry logins), and its rendered manifests parsed into Kubernetes objects.
import type { KubernetesObject } from '@kubernetes/client-node';
import { toolPath, workspaceRoot } from '@bdk/testing';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

export const chartsRoot = path.join(workspaceRoot, 'charts');

/** The charts of the three apps; `bdk` is the umbrella that installs them with the CRDs. */
export const appCharts = ['library-service', 'book-controller', 'webhook-router'] as const;
export type AppChart = (typeof appCharts)[number];
export type Chart = AppChart | 'bdk';
export const allCharts: readonly Chart[] = [...appCharts, 'bdk'];

/** The apps whose pods carry the Envoy REST sidecar (the ones the spec's REST API reaches). */
export const sidecarCharts: readonly AppChart[] = ['library-service', 'webhook-router'];

/** The Helm commands of the toolchain: Helm 3 (`helm`) and Helm 4 (`helm4`). */
export const helmVersions = ['helm', 'helm4'] as const;
export type HelmBinary = (typeof helmVersions)[number];

/**
 * The Helm the tests run: HELM_BIN names one of helmVersions (default `helm`, Helm 3), so the whole suite can be run
 * with either; a test that covers both passes `bin` to helm() itself.
 */
export function defaultHelm(): HelmBinary {
  const chosen = process.env['HELM_BIN'] ?? 'helm';
  if (!(helmVersions as readonly string[]).includes(chosen)) throw new Error(`HELM_BIN=${chosen}: expected one of ${helmVersions.join(', ')}`);
  return chosen as HelmBinary;
}

/** Absolute path of a Helm of the toolchain; throws, like toolPath(), when it is not installed. */
export function helmPath(bin: HelmBinary = defaultHelm()): string {
  if (bin === 'helm') return toolPath('helm');
  const file = path.join(path.dirname(toolPath('helm')), bin);
  if (!existsSync(file)) throw new Error(`${bin} is not installed at ${file}: run \`npm run toolchain\` (tools/install-toolchain.sh)`);
  return file;
}

export interface HelmOptions {
  kubeconfig?: string;
  /** Which Helm runs the command (default: HELM_BIN's). */
  bin?: HelmBinary;
}

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `helm <args>`; resolves with the exit code instead of throwing, so tests can assert on failures. */
export async function helm(args: string[], options: HelmOptions = {}): Promise<HelmResult> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'bdk-helm-'));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    HOME: home,
    HELM_CONFIG_HOME: path.join(home, 'config'),
    HELM_CACHE_HOME: path.join(home, 'cache'),
    HELM_DATA_HOME: path.join(home, 'data'),
    // Without a kubeconfig, commands that need a cluster fail instead of reaching for the user's.
    KUBECONFIG: options.kubeconfig ?? path.join(home, 'no-kubeconfig'),
  };
  try {
    return await new Promise((resolve, reject) => {
      execFile(helmPath(options.bin), args, { env, maxBuffer: 64 * 1024 * 1024, timeout: 120_000 }, (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') reject(error);
        else resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      });
    });
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

/** Like helm(), but a non-zero exit throws with Helm's own message. */
export async function helmOk(args: string[], options: HelmOptions = {}): Promise<string> {
  const result = await helm(args, options);
  if (result.code !== 0) throw new Error(`${options.bin ?? defaultHelm()} ${args.join(' ')} exited ${result.code}:\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

/** Each chart's smallest install; `helm lint` and render() use it unless told otherwise. */
export const defaultValuesFile = 'ci/default-values.yaml';

export function chartPath(chart: Chart): string {
  return path.join(chartsRoot, chart);
}

/** The chart's ci/*-values.yaml scenarios, as paths relative to the chart. */
export function ciValuesFiles(chart: Chart): string[] {
  return readdirSync(path.join(chartPath(chart), 'ci'))
    .filter((file) => file.endsWith('-values.yaml'))
    .sort()
    .map((file) => path.join('ci', file));
}

/** Fails with the command to run when `nx run charts:generate` has not copied a chart's generated inputs in. */
export function assertGenerated(): void {
  const expected = [
    ...sidecarCharts.flatMap((chart) => [`${chart}/files/envoy.yaml`, `${chart}/files/bdk.binpb`]),
    ...appCharts.map((chart) => `bdk/charts/${chart}-0.1.0.tgz`),
    ...readdirSync(path.join(chartsRoot, 'bdk', 'crds')).map((file) => `bdk/files/crds/${file}`),
  ];
  const missing = expected.filter((file) => !existsSync(path.join(chartsRoot, file)));
  if (missing.length > 0) throw new Error(`missing ${missing.join(', ')}: run \`npx nx run charts:generate\``);
}

export interface RenderOptions {
  release?: string;
  namespace?: string;
  /**
   * Values files, relative to the chart. Default: the chart's smallest install, ci/default-values.yaml (every
   * default, plus the identity provider that authentication requires); [] for the chart's bare defaults.
   */
  valuesFiles?: string[];
  /** --set-json key=value pairs. */
  set?: Record<string, unknown>;
  /** Also print the CRDs of a chart's crds/ folder (the umbrella has none: its CRDs are templates). */
  includeCrds?: boolean;
}

/** A named object of a given kind, typed by the caller. */
export type Manifest = KubernetesObject & { kind: string; metadata: { name: string } };

export class Rendered {
  constructor(readonly objects: readonly Manifest[]) {}

  all<T extends KubernetesObject>(kind: string): (T & Manifest)[] {
    return this.objects.filter((o) => o.kind === kind) as (T & Manifest)[];
  }

  /** The one object of `kind` (named `name`, if given); throws when there is none or several. */
  one<T extends KubernetesObject>(kind: string, name?: string): T & Manifest {
    const found = this.all<T>(kind).filter((o) => name === undefined || o.metadata.name === name);
    if (found.length !== 1) {
      const present = this.objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ');
      throw new Error(`expected one ${kind}${name ? ` named ${name}` : ''}, found ${found.length} (rendered: ${present})`);
    }
    return found[0] as T & Manifest;
  }
}

function renderArgs(chart: Chart, options: RenderOptions): string[] {
  const args = [options.release ?? 'bdk', chartPath(chart), '--namespace', options.namespace ?? 'bdk'];
  for (const file of options.valuesFiles ?? [defaultValuesFile]) args.push('--values', path.join(chartPath(chart), file));
  for (const [key, value] of Object.entries(options.set ?? {})) args.push('--set-json', `${key}=${JSON.stringify(value)}`);
  if (options.includeCrds) args.push('--include-crds');
  return args;
}

/** `helm template`, parsed. Every document must be a Kubernetes object with a kind and a name. */
export async function render(chart: Chart, options: RenderOptions = {}): Promise<Rendered> {
  const stdout = await helmOk(['template', ...renderArgs(chart, options)]);
  const objects = parseAllDocuments(stdout)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`helm template printed invalid YAML: ${doc.errors[0]?.message}`);
      return doc.toJS() as Manifest | null;
    })
    .filter((o): o is Manifest => o !== null);
  for (const o of objects) {
    if (!o.apiVersion || !o.kind || !o.metadata?.name) throw new Error(`rendered a document that is not an object: ${JSON.stringify(o)}`);
  }
  return new Rendered(objects);
}

/** `helm template` expected to fail; resolves with Helm's error output. */
export async function renderError(chart: Chart, options: RenderOptions = {}): Promise<string> {
  const result = await helm(['template', ...renderArgs(chart, options)]);
  if (result.code === 0) throw new Error(`helm template ${chart} succeeded, expected a failure`);
  return result.stderr;
}
