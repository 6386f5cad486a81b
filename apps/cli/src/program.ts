// The root `bdk` command, its global options, and what each command needs to run: the process environment
// (replaceable in tests), the output format and a client for the gateway.
import { Command, CommanderError, Option } from 'commander';
import { configFilePath, readConfig, resolveConnection } from './config.js';
import { describeError } from './errors.js';
import { GatewayClient } from './gateway-client.js';
import { outputFormats, parseOutputFormat, type OutputFormat } from './output.js';

export interface CliEnvironment {
  env: NodeJS.ProcessEnv;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** All of stdin, or undefined when stdin is a terminal. */
  readStdin: () => Promise<string | undefined>;
  fetch: typeof fetch;
}

export function processEnvironment(): CliEnvironment {
  return {
    env: process.env,
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    readStdin: async () => {
      if (process.stdin.isTTY) return undefined;
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    fetch: (input, init) => fetch(input, init),
  };
}

const environments = new WeakMap<Command, CliEnvironment>();

/** The root `bdk` command with the options every command shares. Subcommands made with `.command()` inherit its
 *  output and exit handling. */
export function createRootCommand(environment: CliEnvironment = processEnvironment()): Command {
  const program = new Command('bdk')
    .description('Command line for the BDK REST gateway: books, instances, webhook deliveries.')
    .option('--server <url>', 'gateway URL (default: BDK_SERVER, the saved login, or http://127.0.0.1:8080)')
    .option('--token <token>', 'bearer token (default: BDK_TOKEN or the saved login)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(outputFormats).default('table').argParser(parseOutputFormat))
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: environment.stdout, writeErr: environment.stderr });
  environments.set(program, environment);
  return program;
}

function rootOf(command: Command): Command {
  let root = command;
  while (root.parent) root = root.parent;
  return root;
}

export interface CommandContext {
  environment: CliEnvironment;
  output: OutputFormat;
  /** Writes to stdout. */
  print: (text: string) => void;
  /** Writes a progress or status line to stderr, so stdout stays parseable. */
  note: (text: string) => void;
  client: () => Promise<GatewayClient>;
}

export function contextOf(command: Command): CommandContext {
  const environment = environments.get(rootOf(command)) ?? processEnvironment();
  const globals = command.optsWithGlobals<{ server?: string; token?: string; output?: OutputFormat }>();
  return {
    environment,
    output: globals.output ?? 'table',
    print: environment.stdout,
    note: (text) => environment.stderr(text.endsWith('\n') ? text : `${text}\n`),
    client: async () => {
      const saved = await readConfig(configFilePath(environment.env));
      const connection = resolveConnection({ server: globals.server, token: globals.token }, environment.env, saved);
      return new GatewayClient(connection, environment.fetch);
    },
  };
}

/** Parses argv and runs the chosen command; resolves to the process exit code. Errors are printed, not thrown. */
export async function runProgram(program: Command, argv: readonly string[]): Promise<number> {
  const environment = environments.get(program) ?? processEnvironment();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    // Commander has printed its own usage errors and help already.
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof ExitCode) return error.code;
    environment.stderr(`${describeError(error)}\n`);
    return (error as { exitCode?: number }).exitCode ?? 1;
  }
}

/** Ends a command with an exit code and nothing more to print (`instances wait`'s 1 and 2). */
export class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}
