// The chart tools of the toolchain are the pinned ones: Helm 3 at versions.env's HELM_VERSION, Helm 4 and helm-docs
// at the versions their wrapper modules (tools/toolchain/helm4, tools/toolchain/helm-docs) require, each saying so,
// and HELM_BIN choosing between the two Helms.
import { describe, expect, it } from '@jest/globals';
import { toolchainVersions, workspaceRoot } from '@bdk/testing';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { defaultHelm, helmOk, helmPath } from './helm.js';

/** The version a wrapper module's go.mod requires of a module path, without the v. */
function required(module: string, modulePath: string): string {
  const goMod = readFileSync(path.join(workspaceRoot, 'tools', 'toolchain', module, 'go.mod'), 'utf8');
  const match = new RegExp(`^(?:require\\s+|\\s+)${modulePath.replace(/[.]/g, '\\.')}\\s+v(\\S+)`, 'm').exec(goMod);
  if (!match?.[1]) throw new Error(`tools/toolchain/${module}/go.mod requires no ${modulePath}`);
  return match[1];
}

describe('the chart tools', () => {
  it('are Helm 3 and Helm 4 at their pinned versions', async () => {
    expect(await helmOk(['version', '--template', '{{.Version}}'], { bin: 'helm' })).toBe(`v${toolchainVersions()['HELM_VERSION']}`);
    expect(await helmOk(['version', '--template', '{{.Version}}'], { bin: 'helm4' })).toBe(`v${required('helm4', 'helm.sh/helm/v4')}`);
  });

  it('include helm-docs at its pinned version', async () => {
    const file = path.join(path.dirname(helmPath('helm')), 'helm-docs');
    const stdout = await new Promise<string>((resolve, reject) => execFile(file, ['--version'], (error, out) => (error ? reject(error) : resolve(out))));
    expect(stdout.trim()).toBe(`helm-docs version ${required('helm-docs', 'github.com/norwoodj/helm-docs')}`);
  });

  it('run the Helm HELM_BIN names, Helm 3 unless it says otherwise, and refuse any other', () => {
    const saved = process.env['HELM_BIN'];
    try {
      delete process.env['HELM_BIN'];
      expect(defaultHelm()).toBe('helm');
      process.env['HELM_BIN'] = 'helm4';
      expect([defaultHelm(), helmPath()]).toEqual(['helm4', path.join(path.dirname(helmPath('helm')), 'helm4')]);
      process.env['HELM_BIN'] = 'helm5';
      expect(() => defaultHelm()).toThrow('HELM_BIN=helm5: expected one of helm, helm4');
    } finally {
      if (saved === undefined) delete process.env['HELM_BIN'];
      else process.env['HELM_BIN'] = saved;
    }
  });
});
