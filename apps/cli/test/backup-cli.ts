// Runs `bdk admin …` in this process, as the bdk binary would (the root command, its options and exit handling),
// with stdout and stderr captured.
import { registerAdminCommands } from '../src/commands/admin.js';
import { createRootCommand, runProgram } from '../src/program.js';

export interface AdminRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runAdmin(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<AdminRun> {
  let stdout = '';
  let stderr = '';
  const program = createRootCommand({
    env,
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    readStdin: async () => undefined,
    fetch: (input, init) => fetch(input, init),
  });
  registerAdminCommands(program);
  const code = await runProgram(program, ['node', 'bdk', 'admin', ...args]);
  return { code, stdout, stderr };
}
