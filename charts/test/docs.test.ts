// The charts' READMEs are helm-docs output from their values.yaml (charts/scripts/docs.sh): the committed ones are
// current, each documents every value with the comment written above it, and the check fails when a values.yaml
// comment changes without its README being regenerated.
import { afterAll, describe, expect, it } from '@jest/globals';
import { workspaceRoot } from '@bdk/testing';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { allCharts, chartPath } from './helm.js';

const script = path.join(workspaceRoot, 'charts', 'scripts', 'docs.sh');
const copies: string[] = [];

afterAll(() => {
  for (const dir of copies) rmSync(dir, { recursive: true, force: true });
});

function docs(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', [script, ...args], { timeout: 60_000 }, (error, _stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stderr }));
  });
}

/** The four charts' Chart.yaml, values.yaml and README.md, copied into a temp charts root. */
function copyOfCharts(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'bdk-charts-docs-'));
  copies.push(root);
  for (const chart of allCharts) {
    for (const file of ['Chart.yaml', 'values.yaml', 'README.md']) cpSync(path.join(chartPath(chart), file), path.join(root, chart, file), { recursive: true });
  }
  return root;
}

describe('chart READMEs', () => {
  it('are as helm-docs generates them from the committed values', async () => {
    expect(await docs(['--check'])).toEqual({ code: 0, stderr: '' });
  });

  it('document each value with the comment above it', () => {
    const readme = readFileSync(path.join(chartPath('bdk'), 'README.md'), 'utf8');
    expect(readme).toContain('| crds.keep | bool | `true` | Annotates the CRDs helm.sh/resource-policy: keep,');
    expect(readme).toContain('| gateway.ingress.enabled | bool | `false` | Installs the Ingress (the cluster must run an ingress controller). |');
    const controller = readFileSync(path.join(chartPath('book-controller'), 'README.md'), 'utf8');
    expect(controller).toMatch(/\| replicaCount \| int \| `2` \| \S/);
  });

  it('fail the check, naming the README, when a values.yaml comment changes', async () => {
    const root = copyOfCharts();
    const values = path.join(root, 'webhook-router', 'values.yaml');
    writeFileSync(values, readFileSync(values, 'utf8').replace(/^replicaCount:/m, '# Changed without regenerating the README.\nreplicaCount:'));
    const result = await docs(['--check', root]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('charts: webhook-router/README.md not as generated from values.yaml: run `npx nx run charts:docs`');
    // Regenerated, it passes.
    expect((await docs([root])).code).toBe(0);
    expect(await docs(['--check', root])).toEqual({ code: 0, stderr: '' });
  });
});
