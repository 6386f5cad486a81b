// The generated scripts run in a real bash, with COMP_WORDS set as bash sets them on <Tab>.
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { runCli } from '../../test/support/run-cli.js';
import { registerBooksCommands } from './books.js';
import { registerCompletionCommands } from './completion.js';
import { registerInstancesCommands } from './instances.js';

const commands = [registerBooksCommands, registerInstancesCommands, registerCompletionCommands];

async function complete(words: string[]): Promise<string[]> {
  const script = (await runCli(commands, ['completion', 'bash'], {})).stdout;
  const line = words.map((word) => `'${word}'`).join(' ');
  const output = execFileSync('bash', ['-c', `${script}\nCOMP_WORDS=(${line}); COMP_CWORD=${words.length - 1}; _bdk_completions; printf '%s\\n' "\${COMPREPLY[@]}"`], {
    encoding: 'utf8',
  });
  return output.split('\n').filter(Boolean);
}

describe('bdk completion bash', () => {
  it('completes command groups, their commands and options, past global options and their values', async () => {
    expect(await complete(['bdk', 'in'])).toEqual(['instances']);
    expect(await complete(['bdk', '--server', 'http://x', 'books', ''])).toEqual(['create', 'list', 'get', 'delete', '--help', '--server', '--token', '-o', '--output']);
    expect(await complete(['bdk', 'instances', 'wait', 'i-1', '--t'])).toEqual(['--timeout', '--token']);
    expect(await complete(['bdk', '-o', ''])).toEqual(['table', 'json', 'yaml']);
    expect(await complete(['bdk', 'completion', ''])).toEqual(expect.arrayContaining(['bash', 'zsh']));
  });

  it('completes file names after -f', async () => {
    expect(await complete(['bdk', 'books', 'create', '-f', '/etc/host'])).toEqual(expect.arrayContaining(['/etc/hostname']));
  });

  it('prints a zsh script that loads bash completion first', async () => {
    const zsh = await runCli(commands, ['completion', 'zsh'], {});
    expect(zsh.stdout).toMatch(/^#compdef bdk\n/);
    expect(zsh.stdout).toContain('bashcompinit && bashcompinit\n_bdk_completions() {');
    const fish = await runCli(commands, ['completion', 'fish'], {});
    expect(fish.code).toBe(1);
    expect(fish.stderr).toContain("value 'fish' is invalid for argument 'shell'. Allowed choices are bash, zsh.");
  });
});
