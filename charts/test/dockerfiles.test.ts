// The app images cannot be built here (no Docker engine), so what the charts rely on is read from the Dockerfiles:
// the pinned Node, a numeric non-root user the chart's runAsUser matches, the ports the chart probes and exposes,
// the app's own bundle with the npm packages it imports at run time, and a build context without local state.
import type { V1Deployment } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { workspaceRoot } from '@bdk/testing';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { appCharts, assertGenerated, render } from './helm.js';

beforeAll(() => assertGenerated());

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

describe.each(appCharts)('apps/%s/Dockerfile', (app) => {
  const { args, stages: all } = stages(path.join(workspaceRoot, 'apps', app, 'Dockerfile'));
  const runtime = all.at(-1);
  const instructions = (stage: Stage | undefined, keyword: string) => (stage?.instructions ?? []).filter((i) => i.keyword === keyword).map((i) => i.args);

  it('builds and runs on the Node version package.json pins, slim', () => {
    expect(args['NODE_VERSION']).toBe(packageJson.devDependencies['node']);
    for (const stage of all) expect(stage.from).toBe('node:${NODE_VERSION}-slim');
  });

  it('builds the app with Nx in a build stage and ships only its bundle and production packages', () => {
    const build = all.find((s) => s.name === 'build');
    expect(instructions(build, 'RUN')).toContainEqual(expect.stringMatching(new RegExp(`nx run ${app}:build\\b`)));
    expect(instructions(runtime, 'COPY')).toContainEqual(`--from=build /workspace/dist/apps/${app}/ ./`);
    // tools/build.js leaves npm packages as imports of the bundle: the image must carry them.
    expect(readFileSync(path.join(workspaceRoot, 'tools', 'build.js'), 'utf8')).toContain("packages: 'external'");
    const dependencies = all.find((s) => instructions(s, 'RUN').some((r) => r.includes('npm ci --omit=dev')));
    expect(instructions(runtime, 'COPY')).toContainEqual(`--from=${dependencies?.name} /app/node_modules ./node_modules`);
    expect(instructions(runtime, 'ENTRYPOINT')).toEqual(['["node", "--enable-source-maps", "main.js"]']);
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
