// `bdk instances wait`: polls an instance until it reaches the phase or condition asked for, like kubectl wait,
// reporting each change of its phase, replicas or conditions as it goes.
import { InvalidArgumentError } from 'commander';
import { ApiError, CliError } from './errors.js';

export interface WaitTarget {
  kind: 'phase' | 'condition';
  name: string;
}

/** `Ready`, `phase=Ready`, `condition=Ready`; a bare name is a phase (Pending, Ready, Failed, Updating, Suspended). */
export function parseWaitTarget(value: string): WaitTarget {
  const match = /^(?:(phase|condition)=)?([A-Za-z][A-Za-z0-9]*)$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError('expected a phase such as Ready, phase=Ready or condition=<type>');
  return { kind: (match[1] as WaitTarget['kind'] | undefined) ?? 'phase', name: match[2] ?? '' };
}

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

/** The parts of a BookInstance the wait reads, as the gateway answers them. */
export interface InstanceState {
  status?: {
    phase?: string;
    deployment_status?: { ready_replicas?: number; total_replicas?: number };
    conditions?: Condition[];
  };
  suspended?: boolean;
}

export type WaitOutcome = 'met' | 'failed' | 'timeout';

/** Exit codes of `instances wait`: 0 met, 1 failed, 2 timed out. */
export const waitExitCodes: Record<WaitOutcome, number> = { met: 0, failed: 1, timeout: 2 };

export interface WaitOptions {
  target: WaitTarget;
  read: () => Promise<InstanceState>;
  timeoutMs: number;
  intervalMs: number;
  report: (line: string) => void;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** One line describing where the instance is: phase, replicas, then each condition (with reason when not True). */
export function describeState(state: InstanceState): string {
  const status = state.status ?? {};
  const parts = [`phase=${status.phase || 'Unknown'}`];
  const replicas = status.deployment_status;
  if (replicas) parts.push(`replicas=${replicas.ready_replicas ?? 0}/${replicas.total_replicas ?? 0}`);
  for (const condition of status.conditions ?? []) {
    const detail = condition.status === 'True' ? '' : [condition.reason, condition.message].filter(Boolean).join(': ');
    parts.push(`${condition.type}=${condition.status}${detail ? ` (${detail})` : ''}`);
  }
  return parts.join(' ');
}

function outcomeOf(target: WaitTarget, state: InstanceState): WaitOutcome | undefined {
  const phase = state.status?.phase ?? '';
  if (target.kind === 'phase' && phase === target.name) return 'met';
  if (target.kind === 'condition' && (state.status?.conditions ?? []).some((condition) => condition.type === target.name && condition.status === 'True')) return 'met';
  if (phase === 'Failed') return 'failed';
  return undefined;
}

/** A server error worth polling through (the instance may be mid-update, the gateway restarting). */
function isTransient(error: unknown): boolean {
  if (error instanceof ApiError) return error.httpStatus >= 500 || error.httpStatus === 429;
  return error instanceof CliError && error.message.startsWith('cannot reach ');
}

export async function waitForInstance(options: WaitOptions): Promise<WaitOutcome> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const deadline = now() + options.timeoutMs;
  let last = '';
  for (;;) {
    let line: string;
    let outcome: WaitOutcome | undefined;
    try {
      const state = await options.read();
      line = describeState(state);
      outcome = outcomeOf(options.target, state);
    } catch (error) {
      if (!isTransient(error)) throw error;
      line = `retrying: ${(error as Error).message}`;
    }
    if (line !== last) options.report(line);
    last = line;
    if (outcome) return outcome;
    const left = deadline - now();
    if (left <= 0) return 'timeout';
    await sleep(Math.min(options.intervalMs, left));
  }
}
