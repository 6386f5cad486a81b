import { spawn, type ChildProcess } from 'node:child_process';

const running = new Set<ChildProcess>();

// Last line of defence: if the test process exits without tearing down (a crash, a forgotten afterAll),
// no etcd, apiserver or Envoy outlives it.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  /** The last lines the process printed (stdout and stderr), for failure messages. */
  output(): string;
  /** Resolves once the process has exited; rejects never. */
  readonly exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after `graceMs`. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Lines of output kept for output(). */
  keepLines?: number;
}

/** Spawns a long-running child whose output is kept for diagnostics and which is killed with the test run. */
export function startProcess(name: string, command: string, args: string[], options: StartOptions = {}): ManagedProcess {
  const keep = options.keepLines ?? 200;
  const lines: string[] = [];
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  running.add(child);

  // One collector per stream: a chunk may end mid-line, and the rest of the line comes with the next one.
  const collector = () => {
    let partial = '';
    const keepLine = (line: string) => {
      if (line.length === 0) return;
      lines.push(line);
      if (lines.length > keep) lines.shift();
    };
    return {
      data: (chunk: Buffer) => {
        const parts = (partial + chunk.toString('utf8')).split('\n');
        partial = parts.pop() ?? '';
        parts.forEach(keepLine);
      },
      end: () => keepLine(partial),
    };
  };
  for (const stream of [child.stdout, child.stderr]) {
    const { data, end } = collector();
    stream?.on('data', data).on('end', end);
  }

  // 'close', not 'exit': by then the output is read to the end.
  const exited = new Promise<number | null>((resolve) => {
    child.once('close', (code) => {
      running.delete(child);
      resolve(code);
    });
  });

  return {
    name,
    pid: child.pid,
    exited,
    output: () => lines.join('\n'),
    async stop(graceMs = 5_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Rejects when the process exits before `ready` resolves, with its output in the message. */
export async function untilReady<T>(proc: ManagedProcess, ready: Promise<T>): Promise<T> {
  const died = proc.exited.then((code) => {
    throw new Error(`${proc.name} exited (code ${code}) before it was ready:\n${proc.output()}`);
  });
  return Promise.race([ready, died]);
}

/** Waits for `ready`; when it fails, the process is stopped before the error goes on (a retry starts afresh). */
export async function readyOrStopped<T>(proc: ManagedProcess, ready: Promise<T>): Promise<T> {
  try {
    return await untilReady(proc, ready);
  } catch (error) {
    await proc.stop();
    throw error;
  }
}
