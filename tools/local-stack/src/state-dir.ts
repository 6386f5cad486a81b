// The local stack's state directory (.local-stack/ unless BDK_LOCAL_STACK_DIR names another): what survives a stop,
// what `--fresh` wipes, and the pid files through which `npm stop` and a second `npm start` find a running stack.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface StateLayout {
  readonly root: string;
  /** etcd's data, the cluster's certificates and the admin kubeconfig. */
  readonly kube: string;
  /** The local JWT issuer's key and the ServiceAccount token files; kept even by --fresh, so tokens stay valid. */
  readonly auth: string;
  /** The router's SQLite delivery store. */
  readonly deliveriesSqlite: string;
  /** nats-server's JetStream store, when the router uses NATS. */
  readonly nats: string;
  /** The stack's own pid, for `npm stop`. */
  readonly pidFile: string;
  /** One <name>.pid per supervised process, rewritten at each restart. */
  readonly runDir: string;
}

export function stateLayout(root: string): StateLayout {
  return {
    root,
    kube: path.join(root, 'kube'),
    auth: path.join(root, 'auth'),
    deliveriesSqlite: path.join(root, 'webhook-router', 'deliveries.sqlite'),
    nats: path.join(root, 'nats'),
    pidFile: path.join(root, 'local-stack.pid'),
    runDir: path.join(root, 'run'),
  };
}

/** What --fresh removes: every book, instance, namespace and delivery. The signing key stays. */
export async function wipeState(layout: StateLayout): Promise<void> {
  for (const dir of [layout.kube, path.dirname(layout.deliveriesSqlite), layout.nats, layout.runDir]) {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Whether `pid` is a live process running the local stack (a stale pid file may name a reused pid). */
export function isLocalStack(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const cmdline = `/proc/${pid}/cmdline`;
  // Without /proc, a live pid is the best evidence there is.
  if (!existsSync(cmdline)) return true;
  return readFileSync(cmdline, 'utf8').includes('local-stack/main.js');
}

/** The pid of the stack already running on this state directory, if one is. */
export async function runningStack(layout: StateLayout): Promise<number | undefined> {
  const text = await readFile(layout.pidFile, 'utf8').catch(() => '');
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && isLocalStack(pid) ? pid : undefined;
}

export async function writePidFile(file: string, pid: number): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${pid}\n`);
}

export function processPidFile(layout: StateLayout, name: string): string {
  return path.join(layout.runDir, `${name.replaceAll(/[^a-z0-9-]+/gi, '-')}.pid`);
}
