// What one process uses, from /proc: resident memory now (VmRSS) and at its peak (VmHWM, kept by the kernel so
// no spike between two samples is missed), and CPU seconds (user + system).
import { readFile } from 'node:fs/promises';

export interface MemoryUsage {
  rssMb: number;
  peakRssMb: number;
}

export async function readMemory(pid: number): Promise<MemoryUsage> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, peakRssMb: kb('VmHWM') / 1024 };
}

export async function readCpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces), counted from 3: utime is 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticksPerSecond = 100;
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}
