// e2e/containers builds the app images and runs them; this reads statically from apps/Dockerfile, the one
// Dockerfile of the three apps, what the charts rely on: the apps its APP accepts (exactly those with a chart; its
// check is run with a real shell), the pinned Node, a numeric non-root user each chart's runAsUser matches, the
// ports each chart probes and exposes, the app's own bundle with the npm packages it imports at run time, and a
// build context without local state.
import type { V1Deployment } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { workspaceRoot } from '@bdk/testing';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { appCharts, assertGenerated, chartPath, render } from './helm.js';

beforeAll(() => assertGenerated());

function runtimeDependencies(): Record<string, string> {
  return (JSON.parse(readFileSync(path.join(workspaceRoot, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies;
}

const importsOf = new Map<string, Promise<Set<string>>>();

/**
 * The npm packages an app's bundle imports at run time: tools/build.js's own bundling (esbuild, packages external),
 * run here without writing, its metafile naming each import the bundle leaves in place.
 */
function bundleImports(app: string): Promise<Set<string>> {
  const cached = importsOf.get(app);
  if (cached) return cached;
  const found = (async () => {
    const { build } = await import('esbuild');
    const result = await build({
      absWorkingDir: workspaceRoot,
      entryPoints: [path.join('apps', app, 'src', 'main.ts')],
      tsconfig: path.join(workspaceRoot, 'apps', app, 'tsconfig.json'),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node24',
      packages: 'external',
      write: false,
      outfile: path.join(os.tmpdir(), `bdk-bundle-${app}.js`),
      metafile: true,
      logLevel: 'silent',
    });
    const packages = new Set<string>();
    for (const output of Object.values(result.metafile.outputs)) {
      for (const imported of output.imports) {
        if (!imported.external || imported.path.startsWith('node:')) continue;
        const parts = imported.path.split('/');
        packages.add(imported.path.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? ''));
      }
    }
    return packages;
  })();
  importsOf.set(app, found);
  return found;
}

interface Stage {
  from: string;
  name?: string;
  instructions: { keyword: string; args: string }[];
}

/** Dockerfile instructions by stage (comments dropped, `\` continuations joined). */
function stages(file: string): { args: Record<string, string>; stages: Stage[] } {
  const lines = readFileSync(file, 'utf8')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const args: Record<string, string> = {};
  const result: Stage[] = [];
  for (const line of lines) {
    const [keyword = '', ...rest] = line.split(/\s+/);
    const text = rest.join(' ');
    if (keyword === 'FROM') {
      const [from = '', as, name] = rest;
      result.push({ from, ...(as?.toUpperCase() === 'AS' && name ? { name } : {}), instructions: [] });
    } else if (result.length === 0 && keyword === 'ARG') {
      const [key = '', value = ''] = text.split('=');
      args[key] = value;
    } else {
      result.at(-1)?.instructions.push({ keyword, args: text });
    }
  }
  return { args, stages: result };
}

const packageJson = JSON.parse(readFileSync(path.join(workspaceRoot, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
const dockerfile = path.join(workspaceRoot, 'apps', 'Dockerfile');

describe('apps/Dockerfile', () => {
  const { args, stages: all } = stages(dockerfile);
  const runtime = all.at(-1);
  const stage = (name: string) => all.find((s) => s.name === name);
  const instructions = (of: Stage | undefined, keyword: string) => (of?.instructions ?? []).filter((i) => i.keyword === keyword).map((i) => i.args);
  const position = (of: Stage | undefined, keyword: string, args: string | RegExp) =>
    (of?.instructions ?? []).findIndex((i) => i.keyword === keyword && (typeof args === 'string' ? i.args === args : args.test(i.args)));

  it('builds and runs on the Node version package.json pins, slim, from one base image a build argument can replace', () => {
    expect(args['NODE_VERSION']).toBe(packageJson.devDependencies['node']);
    expect(args['NODE_IMAGE']).toBe('node:${NODE_VERSION}-slim');
    for (const s of all) expect(s.from).toBe('${NODE_IMAGE}');
  });

  describe('its APP check (the app stage), run with a real shell', () => {
    const check = instructions(stage('app'), 'RUN');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bdk-dockerfile-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    /** The stage's RUN as /bin/sh runs it, writing its /bdk-app into a temporary folder instead. */
    async function runCheck(app: string): Promise<{ code: number; stderr: string; written: string | undefined }> {
      const written = path.join(dir, `bdk-app-${Math.random().toString(36).slice(2)}`);
      const script = (check[0] ?? 'exit 99').replaceAll('/bdk-app', written);
      const { code, stderr } = await new Promise<{ code: number; stderr: string }>((resolve) => {
        execFile('/bin/sh', ['-c', script], { env: { PATH: process.env['PATH'], APP: app } }, (error, _stdout, stderrText) =>
          resolve({ code: typeof error?.code === 'number' ? error.code : error ? -1 : 0, stderr: stderrText }),
        );
      });
      let content: string | undefined;
      try {
        content = readFileSync(written, 'utf8');
      } catch {
        content = undefined;
      }
      return { code, stderr, written: content };
    }

    it('is one RUN reading the APP build argument', () => {
      expect(check).toHaveLength(1);
      expect(instructions(stage('app'), 'ARG')).toEqual(['APP']);
    });

    it.each(appCharts)('accepts %s, an app with a chart', async (app) => {
      expect(await runCheck(app)).toEqual({ code: 0, stderr: '', written: `${app}\n` });
    });

    it.each(['', 'bdk', 'library-service/..', '../../etc', 'tooling', 'Library-Service', 'library-service '])('refuses APP=%j, naming the apps', async (app) => {
      const result = await runCheck(app);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('APP must be library-service, book-controller or webhook-router');
      expect(result.written).toBeUndefined();
    });

    it('is a stage the build depends on (BuildKit skips a stage the target does not use)', () => {
      expect(instructions(stage('build'), 'COPY')).toContainEqual(expect.stringMatching(/^--from=app \/bdk-app /));
    });
  });

  it('builds the app with Nx in a build stage, APP read only after the layers the three apps share', () => {
    const build = stage('build');
    const nxBuild = position(build, 'RUN', /nx run "\$\{APP\}:build"/);
    expect(nxBuild).toBeGreaterThan(-1);
    // Every RUN after an ARG depends on its value: APP declared before npm ci would install once per app.
    const appArg = position(build, 'ARG', 'APP');
    expect(appArg).toBeGreaterThan(position(build, 'RUN', 'npm ci --no-audit --no-fund'));
    expect(appArg).toBeGreaterThan(position(build, 'COPY', '. .'));
    expect(appArg).toBeLessThan(nxBuild);
  });

  it('ships only the chosen app bundle and the production packages, and runs main.js', () => {
    expect(instructions(runtime, 'ARG')).toEqual(['APP']);
    expect(position(runtime, 'ARG', 'APP')).toBeLessThan(position(runtime, 'COPY', '--from=build /workspace/dist/apps/${APP}/ ./'));
    // tools/build.js leaves npm packages as imports of the bundle: the image must carry them.
    expect(readFileSync(path.join(workspaceRoot, 'tools', 'build.js'), 'utf8')).toContain("packages: 'external'");
    const dependencies = all.find((s) => instructions(s, 'RUN').some((r) => r.includes('npm ci --omit=dev --ignore-scripts')));
    expect(dependencies?.name).toBeDefined();
    expect(instructions(runtime, 'COPY')).toContainEqual(`--from=${dependencies?.name} /app/node_modules ./node_modules`);
    expect(instructions(runtime, 'ENTRYPOINT')).toEqual(['["node", "--enable-source-maps", "main.js"]']);
    expect(instructions(runtime, 'HEALTHCHECK')).toHaveLength(1);
  });

  describe.each(appCharts)('as the image of charts/%s', (app) => {
    it('is the repository the chart pulls, by the image title', () => {
      const values = parse(readFileSync(path.join(chartPath(app), 'values.yaml'), 'utf8')) as { image: { repository: string } };
      expect(values.image.repository).toBe(`ghcr.io/voyager/bdk-${app}`);
      expect(instructions(runtime, 'LABEL').join(' ')).toContain('org.opencontainers.image.title="bdk-${APP}"');
    });

    it('has every npm package its bundle imports among the runtime dependencies the image installs', async () => {
      const missing = [...(await bundleImports(app))].filter((name) => !(name in runtimeDependencies()));
      expect(missing).toEqual([]);
    });

    it('runs as the numeric non-root user the chart runs it as, exposing the ports the chart uses', async () => {
      const user = instructions(runtime, 'USER');
      expect(user).toHaveLength(1);
      const uid = Number(user[0]?.split(':')[0]);
      expect(uid).toBeGreaterThan(0);
      const pod = (await render(app)).one<V1Deployment>('Deployment').spec?.template.spec;
      expect(pod?.securityContext?.runAsUser).toBe(uid);
      const ports = pod?.containers.find((c) => c.name === app)?.ports?.map((p) => String(p.containerPort));
      expect(instructions(runtime, 'EXPOSE').join(' ').split(' ').sort()).toEqual(ports?.sort());
    });
  });
});
describe('package.json dependencies (what `npm ci --omit=dev` puts into every image)', () => {
  it('are all imported by an app bundle: test and tool packages (@grpc/grpc-js, yaml) are devDependencies', async () => {
    const imported = new Set<string>();
    for (const app of appCharts) for (const name of await bundleImports(app)) imported.add(name);
    // commander is the CLI's (apps/cli, run from the workspace): no image imports it.
    expect(Object.keys(runtimeDependencies()).filter((name) => !imported.has(name))).toEqual(['commander']);
    expect(Object.keys(runtimeDependencies())).not.toEqual(expect.arrayContaining(['@grpc/grpc-js']));
    expect(Object.keys(runtimeDependencies())).not.toEqual(expect.arrayContaining(['yaml']));
  });
});

describe('.dockerignore', () => {
  const patterns = readFileSync(path.join(workspaceRoot, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));

  it('keeps installed, generated and local state out of the build context', () => {
    expect(patterns).toEqual(expect.arrayContaining(['.git', '**/node_modules', 'dist', '.tools', '.nx', '.local-stack']));
  });

  it('keeps every source of the build in it: the contract, the CRDs, the libs, the build tools', () => {
    for (const source of ['proto/bdk/v1/library_service.proto', 'charts/bdk/crds/bookdefinitions.bdk.voyager.io.yaml', 'libs/k8s/src/index.ts', 'tools/build.js', 'nx.json']) {
      const excludedBy = patterns.filter((p) => !p.startsWith('!') && path.matchesGlob(source, p.endsWith('/') ? `${p}**` : p));
      const byPrefix = patterns.filter((p) => source.startsWith(`${p.replace(/\/$/, '')}/`));
      expect([source, [...excludedBy, ...byPrefix]]).toEqual([source, []]);
    }
  });
});
