// Runs images as the charts run them: a numeric non-root user, a read-only root filesystem with a tmpfs for /tmp
// (the charts' emptyDir), files mounted read-only, and the host network (this Docker Engine has no bridge; every
// server listens on loopback, where the test's kube-apiserver is too).
import { docker, dockerOk, runLabel } from '@bdk/testing';

export interface ContainerSpec {
  name: string;
  image: string;
  /** The test run's label value (removeRunContainers). */
  runId: string;
  /** uid:gid. */
  user: string;
  env?: Record<string, string>;
  /** Host file or folder → path in the container, mounted read-only. */
  mounts?: Record<string, string>;
  args?: string[];
}

export interface RunningContainer {
  readonly id: string;
  readonly name: string;
  /** What the container printed so far (stdout and stderr), for failure messages. */
  logs(): Promise<string>;
  /** Whether it is still running. */
  running(): Promise<boolean>;
}

export function containerArgs(spec: ContainerSpec): string[] {
  const args = ['--name', spec.name, '--label', `${runLabel}=${spec.runId}`, '--user', spec.user, '--read-only', '--tmpfs', '/tmp', '--network', 'host'];
  for (const [key, value] of Object.entries(spec.env ?? {})) args.push('--env', `${key}=${value}`);
  for (const [source, target] of Object.entries(spec.mounts ?? {})) args.push('--mount', `type=bind,source=${source},target=${target},readonly`);
  return args;
}

export async function startContainer(spec: ContainerSpec): Promise<RunningContainer> {
  const id = (await dockerOk(['run', '-d', ...containerArgs(spec), spec.image, ...(spec.args ?? [])])).trim();
  return {
    id,
    name: spec.name,
    async logs() {
      const result = await docker(['logs', '--tail', '200', id]);
      return result.stdout + result.stderr;
    },
    async running() {
      return (await docker(['inspect', '-f', '{{.State.Running}}', id])).stdout.trim() === 'true';
    },
  };
}

/**
 * Polls `ready` until it is true; fails at once, with the container's output, when the container has exited, and
 * after `timeoutMs` otherwise.
 */
export async function untilContainerReady(container: RunningContainer, what: string, ready: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await ready().catch(() => false)) return;
    if (!(await container.running())) throw new Error(`${container.name} exited before ${what}:\n${await container.logs()}`);
    if (Date.now() > deadline) throw new Error(`${container.name}: no ${what} within ${timeoutMs} ms:\n${await container.logs()}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
