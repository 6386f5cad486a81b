// containerd (Debian's, the one docker.io brings) as a kubelet's container runtime: its own root, state and socket
// in a test folder, beside any containerd the Docker Engine runs, its CRI plugin using the CNI plugins of Debian's
// containernetworking-plugins and a sandbox (pause) image that is imported before any Pod starts.
import { startProcess, untilReady, waitUntil, type ManagedProcess } from '@bdk/testing';
import { execFile, spawn } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** The namespace the CRI plugin keeps Kubernetes' images and containers in. */
export const criNamespace = 'k8s.io';
/** Where Debian's containernetworking-plugins puts the plugins. */
export const cniBinDir = '/usr/lib/cni';
/** Where the CRI plugin of containerd 1.6 creates each Pod's network namespace. */
const netnsDir = '/var/run/netns';
/**
 * Folders containerd and its shims make at fixed paths whatever its configuration says (runc's state, the shims'
 * sockets, the CNI results cache), children first: removed at stop when empty and not there before the start.
 */
const fixedDirs = ['/run/containerd/runc/k8s.io', '/run/containerd/runc', '/run/containerd/s', '/run/containerd', '/var/lib/cni/results', '/var/lib/cni'];

export interface ContainerdOptions {
  /** A folder of its own: root, state, socket, config and log live here. */
  dir: string;
  /** The reference of the pause image, as imported (importImage) before the first Pod. */
  sandboxImage: string;
  /** The folder of the CNI configuration (*.conflist) the CRI plugin loads. */
  cniConfDir: string;
}

export interface RunningContainerd {
  /** unix:///… for the kubelet's containerRuntimeEndpoint. */
  readonly endpoint: string;
  readonly process: ManagedProcess;
  /** `ctr --address … -n k8s.io <args>`: its stdout, or an error with what it printed. */
  ctr(args: string[], input?: string): Promise<string>;
  /** Imports an image archive (docker save or OCI layout tar) into the k8s.io namespace. */
  importImage(archive: string): Promise<void>;
  /**
   * Kills every container of the k8s.io namespace (their shims outlive containerd), stops containerd, and
   * unmounts and removes what its Pods left: network namespaces made during its run, mounts under its folder.
   */
  stop(): Promise<void>;
}

function runCommand(command: string, args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(command, args, { maxBuffer: 16 * 1024 * 1024, timeout: 600_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

function configToml(options: ContainerdOptions, socket: string): string {
  return `version = 2
root = "${path.join(options.dir, 'root')}"
state = "${path.join(options.dir, 'state')}"
# Nothing else on this machine should find it as the default containerd.
[grpc]
  address = "${socket}"
[ttrpc]
  address = "${socket}.ttrpc"
[debug]
  level = "info"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${options.sandboxImage}"
  # Streaming (exec, attach, port-forward) on loopback only, on a port the OS picks.
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  # No CAP_SYS_RESOURCE where this runs (a sandboxed VM): runc cannot lower a process's oom_score_adj below
  # containerd's ("failed to update /proc/self/oom_score_adj: Permission denied" for the sandbox's -998), so scores
  # are kept at or above containerd's own, as for rootless containerd.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        # The kubelet runs with the cgroupfs driver: no systemd here.
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "${cniBinDir}"
    conf_dir = "${options.cniConfDir}"
`;
}

async function listDir(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

/** Mount points at or under `dir`, deepest first. */
async function mountsUnder(dir: string): Promise<string[]> {
  const mounts = (await readFile('/proc/self/mounts', 'utf8'))
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '')
    .map((point) => point.replace(/\\040/g, ' '))
    .filter((point) => point === dir || point.startsWith(`${dir}/`));
  return [...new Set(mounts)].sort((a, b) => b.length - a.length);
}

/** Unmounts (lazily: a dying shim may still hold one) every mount under `dir`. */
export async function unmountUnder(dir: string): Promise<void> {
  for (const point of await mountsUnder(dir)) await runCommand('umount', ['-l', point]);
}

/** Starts containerd and resolves once its CRI plugin is loaded. */
export async function startContainerd(options: ContainerdOptions): Promise<RunningContainerd> {
  await mkdir(options.dir, { recursive: true });
  const socket = path.join(options.dir, 'containerd.sock');
  const config = path.join(options.dir, 'config.toml');
  await writeFile(config, configToml(options, socket));
  const netnsBefore = new Set(await listDir(netnsDir));
  const dirsBefore = new Set(fixedDirs.filter((dir) => existsSync(dir)));
  const proc = startProcess('containerd', 'containerd', ['--config', config], { keepLines: 400 });

  const ctr = async (args: string[], input?: string) => {
    const result = await runCommand('ctr', ['--address', socket, '-n', criNamespace, ...args], input);
    if (result.code !== 0) throw new Error(`ctr ${args.join(' ')} exited ${result.code}: ${result.stderr.trim()}${result.stdout.trim()}`);
    return result.stdout;
  };

  let exited = false;
  void proc.exited.then(() => (exited = true));
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      // A dead containerd cannot kill its containers: the mounts and network namespaces are cleaned up all the same.
      const tasks = exited ? '' : await ctr(['tasks', 'ls', '-q']).catch(() => '');
      for (const id of tasks.split('\n').filter(Boolean)) {
        await ctr(['tasks', 'kill', '-s', 'SIGKILL', id]).catch(() => undefined);
        await waitUntil(`task ${id} to be deleted`, () => ctr(['tasks', 'delete', id]).then(() => true), { timeoutMs: 10_000, intervalMs: 200 }).catch(() => undefined);
      }
      const containers = exited ? '' : await ctr(['containers', 'ls', '-q']).catch(() => '');
      for (const id of containers.split('\n').filter(Boolean)) await ctr(['containers', 'delete', id]).catch(() => undefined);
      await proc.stop(10_000);
      for (const name of await listDir(netnsDir)) {
        if (netnsBefore.has(name) || !name.startsWith('cni-')) continue;
        await runCommand('umount', [path.join(netnsDir, name)]);
        await rm(path.join(netnsDir, name), { force: true });
      }
      await unmountUnder(options.dir);
      for (const dir of fixedDirs) if (!dirsBefore.has(dir)) await rmdir(dir).catch(() => undefined);
    })());

  try {
    await untilReady(
      proc,
      waitUntil(
        'containerd and its CRI plugin',
        async () => {
          const plugins = await ctr(['plugins', 'ls']);
          const cri = plugins.split('\n').find((line) => /\bio\.containerd\.grpc\.v1\s+cri\b/.test(line));
          if (cri && !/\bok\s*$/.test(cri)) throw new Error(`the CRI plugin did not load: ${cri}\n${proc.output()}`);
          return cri !== undefined;
        },
        { timeoutMs: 60_000, intervalMs: 250 },
      ),
    );
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    endpoint: `unix://${socket}`,
    process: proc,
    ctr,
    async importImage(archive) {
      await new Promise<void>((resolve, reject) => {
        const child = spawn('ctr', ['--address', socket, '-n', criNamespace, 'images', 'import', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
        let output = '';
        child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
        child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
        createReadStream(archive).on('error', reject).pipe(child.stdin);
        child.once('error', reject);
        child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`ctr images import ${archive} exited ${code}: ${output.slice(-4_000)}`))));
      });
    },
    stop,
  };
}
