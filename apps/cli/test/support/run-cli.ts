// Runs a bdk program in-process with captured output and its own environment (no config of the machine's user).
import type { Command } from 'commander';
import { createRootCommand, runProgram, type CliEnvironment } from '../../src/program.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(register: ((program: Command) => void)[], args: string[], env: NodeJS.ProcessEnv, stdin?: string): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const environment: CliEnvironment = {
    env,
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    readStdin: async () => stdin,
    fetch: (input, init) => fetch(input, init),
  };
  const program = createRootCommand(environment);
  for (const add of register) add(program);
  const code = await runProgram(program, ['node', 'bdk', ...args]);
  return { code, stdout, stderr };
}
