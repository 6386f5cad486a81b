// tools/install-toolchain.sh: a second run reuses what is installed, and a missing prerequisite fails loudly,
// naming the tool and the reason.
import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { workspaceRoot } from '@bdk/testing';

const run = promisify(execFile);
const script = path.join(workspaceRoot, 'tools', 'install-toolchain.sh');

describe('install-toolchain.sh', () => {
  it('reuses every installed tool on a second run', async () => {
    const { stdout } = await run('bash', [script]);
    for (const tool of ['envoy', 'etcd', 'helm', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl', 'kwok', 'nats-server']) expect(stdout).toMatch(new RegExp(`toolchain: ${tool} \\S+ is installed`));
    expect(stdout).not.toMatch(/building|installing/);
  });

  it('names the tool and the missing prerequisite when it cannot go on', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'bdk-toolchain-'));
    try {
      // A PATH with the shell utilities the script needs, but neither python3 nor go.
      const bin = path.join(dir, 'bin');
      await run('mkdir', ['-p', bin]);
      for (const command of ['dirname', 'mkdir', 'cat', 'sha256sum', 'cut', 'tail', 'ln', 'mv', 'ls', 'tr', 'rm']) {
        const { stdout } = await run('bash', ['-c', `command -v ${command}`]);
        await symlink(stdout.trim(), path.join(bin, command));
      }
      const failure = await run('/bin/bash', [script], { env: { PATH: bin, BDK_TOOLS_DIR: path.join(dir, 'tools') } }).catch(
        (error: { code: number; stderr: string }) => error,
      );
      expect(failure).toMatchObject({ code: 1 });
      expect((failure as { stderr: string }).stderr).toContain("toolchain: FAILED installing envoy: 'python3' is not on PATH");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
