// CPU time per process, from /proc (Linux), to tell which process a webhook's work lands in: a per-webhook cost
// that does not depend on how many cores the machine has or who else is using them. Elsewhere it reads nothing.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/** USER_HZ: the unit of /proc/<pid>/stat's times, 100 on every Linux architecture Node runs on. */
const ticksPerSecond = 100;

/** Names of the processes to watch, by pid. */
export type WatchedProcesses = Map<number, string>;

async function readStat(pid: number): Promise<{ ppid: number; cpuMs: number } | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses; the fields after its last ")" do not.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { ppid: Number(fields[1]), cpuMs: (ticks * 1_000) / ticksPerSecond };
  } catch {
    return undefined;
  }
}

/** What a process is, from its command line: a Node app by its bundle, anything else by its program. */
async function describe(pid: number): Promise<string> {
  const args = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0').filter(Boolean);
  const app = args.find((arg) => arg.endsWith('/main.js'));
  if (app) return path.basename(path.dirname(app));
  return path.basename(args[0] ?? `pid ${pid}`);
}

/** `rootPid` as `rootName` and every process below it, named by `names` where it has them. */
export async function processTree(rootPid: number, rootName: string, names: Record<string, number> = {}): Promise<WatchedProcesses> {
  const entries = await readdir('/proc').catch(() => [] as string[]);
  const parents = new Map<number, number[]>();
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readStat(Number(entry));
    if (stat) parents.set(stat.ppid, [...(parents.get(stat.ppid) ?? []), Number(entry)]);
  }
  const byPid = new Map(Object.entries(names).map(([name, pid]) => [pid, name]));
  const found: WatchedProcesses = new Map([[rootPid, rootName]]);
  const visit = async (pid: number) => {
    for (const child of parents.get(pid) ?? []) {
      found.set(child, byPid.get(child) ?? (await describe(child)));
      await visit(child);
    }
  };
  await visit(rootPid);
  return found;
}

/** CPU milliseconds used so far by each watched process, by name (processes of one name are added up). */
export async function cpuByName(processes: WatchedProcesses): Promise<Map<string, number>> {
  const totals = new Map<string, number>();
  for (const [pid, name] of processes) {
    const stat = await readStat(pid);
    if (stat) totals.set(name, (totals.get(name) ?? 0) + stat.cpuMs);
  }
  return totals;
}

/** CPU milliseconds each process used between two readings. */
export function cpuBetween(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  return new Map([...after].map(([name, ms]) => [name, ms - (before.get(name) ?? 0)]));
}

/** Measures the CPU time `processes` (and this process, as "load generator") spend while `run` runs. */
export async function measureCpu<T>(processes: WatchedProcesses, run: () => Promise<T>): Promise<{ result: T; cpuMs: Map<string, number> }> {
  const before = await cpuByName(processes);
  const ownBefore = process.cpuUsage();
  const result = await run();
  const own = process.cpuUsage(ownBefore);
  const cpuMs = cpuBetween(before, await cpuByName(processes));
  cpuMs.set('load generator', (own.user + own.system) / 1_000);
  return { result, cpuMs };
}
