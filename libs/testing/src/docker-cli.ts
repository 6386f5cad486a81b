// The Docker CLI as the tests use it: every container they start carries one label per test run, so that teardown
// removes exactly those, whatever failed before it.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';

export interface DockerResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `docker ...`; resolves with the exit code and output, never rejects for a non-zero exit. */
export function docker(args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<DockerResult> {
  return new Promise((resolve) => {
    execFile(
      'docker',
      args,
      { env: options.env ?? process.env, timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
  });
}

/** `docker ...` that must succeed: the stdout, or an error naming the command and what it printed. */
export async function dockerOk(args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<string> {
  const result = await docker(args, options);
  if (result.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${result.code}:\n${result.stderr.slice(-4_000)}${result.stdout.slice(-4_000)}`);
  return result.stdout;
}

/** The label key of the containers these tests start; its value names one test run. */
export const runLabel = 'io.bdk.e2e-containers';

/** A label value of its own for this test run. */
export function newRunId(): string {
  return randomUUID();
}

/** Removes every container of a test run, running or not. */
export async function removeRunContainers(runId: string): Promise<void> {
  const ids = (await dockerOk(['ps', '-aq', '--filter', `label=${runLabel}=${runId}`])).split('\n').filter(Boolean);
  if (ids.length > 0) await dockerOk(['rm', '-f', '-v', ...ids]);
}
