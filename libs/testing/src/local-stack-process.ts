// Runs the built local stack (dist/tools/local-stack/main.js, what `npm start` runs) as the README's user would,
// on free ports, and reads where things listen from what it prints.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startProcess, type ManagedProcess } from './managed-process.js';
import { waitUntil } from './wait.js';
import { workspaceRoot } from './workspace.js';

export interface LocalStack {
  process: ManagedProcess;
  /** What it printed up to "Ctrl-C stops everything". */
  output: string;
  stateDir: string;
  /** http://127.0.0.1:<port> of the REST gateway. */
  gatewayUrl: string;
  /** The kubeconfig it printed (the embedded API's, or the one it was given). */
  kubeconfig: string;
  /** Ctrl-C, and the exit code. */
  interrupt(): Promise<number | null>;
  /** Stops it; removes the state dir when this call made it. Safe after interrupt(). */
  stop(): Promise<void>;
}

export interface LocalStackOptions {
  /** The whole environment of the stack (ports and the state dir are set here). */
  env: NodeJS.ProcessEnv;
  /** Its state, kept by stop(); a new temp dir that stop() removes when left out. */
  stateDir?: string;
}

/** Starts the stack on free ports and resolves once it says it is up. */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const stateDir = options.stateDir ?? (await mkdtemp(path.join(os.tmpdir(), 'bdk-local-stack-')));
  const proc = startProcess('local-stack', process.execPath, [path.join(workspaceRoot, 'dist/tools/local-stack/main.js')], {
    env: { ...options.env, BDK_GRPC_BASE_PORT: '0', BDK_GATEWAY_PORT: '0', BDK_LOCAL_STACK_DIR: stateDir },
    keepLines: 2_000,
  });
  const stop = async () => {
    await proc.stop(60_000);
    if (options.stateDir === undefined) await rm(stateDir, { recursive: true, force: true });
  };
  try {
    const output = await waitUntil(
      'the local stack to report it is up',
      () => {
        const printed = proc.output();
        if (printed.includes('the local stack could not start')) throw new Error(printed);
        return printed.includes('Ctrl-C stops everything') && printed;
      },
      { timeoutMs: 150_000, intervalMs: 250 },
    );
    const gatewayUrl = /REST gateway\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
    if (!gatewayUrl) throw new Error(`no gateway URL in:\n${output}`);
    return {
      process: proc,
      output,
      stateDir,
      gatewayUrl,
      kubeconfig: /export KUBECONFIG=(\S+)/.exec(output)?.[1] ?? '',
      async interrupt() {
        process.kill(proc.pid, 'SIGINT');
        return proc.exited;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
