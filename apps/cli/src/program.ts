import { Command } from 'commander';

/** The root `bdk` command with the options every command shares. */
export function createRootCommand(): Command {
  return new Command('bdk').description('Command line for the BDK REST gateway.');
}

/** Parses argv and runs the chosen command; resolves to the process exit code. */
export async function runProgram(program: Command, argv: readonly string[]): Promise<number> {
  await program.parseAsync(argv);
  return 0;
}
