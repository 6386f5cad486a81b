import { describe, expect, it } from '@jest/globals';
import { ApiError } from './errors.js';
import { describeState, parseWaitTarget, waitForInstance, type InstanceState, type WaitTarget } from './instance-wait.js';

const pending: InstanceState = {
  status: { phase: 'Pending', deployment_status: { ready_replicas: 0, total_replicas: 2 }, conditions: [{ type: 'Ready', status: 'False', reason: 'Progressing', message: '0/2 replicas ready' }] },
};
const halfway: InstanceState = { status: { ...pending.status, deployment_status: { ready_replicas: 1, total_replicas: 2 } } };
const ready: InstanceState = { status: { phase: 'Ready', deployment_status: { ready_replicas: 2, total_replicas: 2 }, conditions: [{ type: 'Ready', status: 'True', reason: 'Available' }] } };
const failed: InstanceState = { status: { phase: 'Failed', conditions: [{ type: 'Ready', status: 'False', reason: 'NamespaceUnavailable', message: 'owned by another organisation' }] } };

/** A wait over a scripted sequence of answers with a clock that advances by each sleep. */
async function run(answers: (InstanceState | Error)[], target: WaitTarget = { kind: 'phase', name: 'Ready' }, timeoutMs = 60_000) {
  let clock = 0;
  let reads = 0;
  const lines: string[] = [];
  const outcome = await waitForInstance({
    target,
    timeoutMs,
    intervalMs: 2000,
    report: (line) => lines.push(line),
    now: () => clock,
    sleep: async (ms) => {
      clock += ms;
    },
    read: async () => {
      const answer = answers[Math.min(reads++, answers.length - 1)];
      if (answer instanceof Error) throw answer;
      return answer ?? {};
    },
  });
  return { outcome, lines, reads, elapsed: clock };
}

describe('waitForInstance', () => {
  it('is met when the phase is reached, reporting each change once', async () => {
    const { outcome, lines, reads } = await run([pending, pending, halfway, halfway, ready]);
    expect(outcome).toBe('met');
    expect(reads).toBe(5);
    expect(lines).toEqual([
      'phase=Pending replicas=0/2 Ready=False (Progressing: 0/2 replicas ready)',
      'phase=Pending replicas=1/2 Ready=False (Progressing: 0/2 replicas ready)',
      'phase=Ready replicas=2/2 Ready=True',
    ]);
  });

  it('stops at Failed when waiting for something else', async () => {
    const { outcome, lines } = await run([pending, failed, ready]);
    expect(outcome).toBe('failed');
    expect(lines.at(-1)).toBe('phase=Failed Ready=False (NamespaceUnavailable: owned by another organisation)');
  });

  it('times out after the timeout, not before', async () => {
    const { outcome, elapsed, reads } = await run([pending], { kind: 'phase', name: 'Ready' }, 9000);
    expect(outcome).toBe('timeout');
    expect(elapsed).toBe(9000);
    expect(reads).toBe(6);
  });

  it('waits for a condition of that type to be True', async () => {
    expect((await run([pending, ready], { kind: 'condition', name: 'Ready' })).outcome).toBe('met');
    expect((await run([ready], { kind: 'condition', name: 'DeploymentReady' }, 4000)).outcome).toBe('timeout');
  });

  it('polls through server errors and stops at client errors', async () => {
    const unavailable = new ApiError(503, 14, 'upstream connect error');
    const { outcome, lines } = await run([pending, unavailable, ready]);
    expect(outcome).toBe('met');
    expect(lines[1]).toBe('retrying: HTTP 503 UNAVAILABLE: upstream connect error');
    await expect(run([pending, new ApiError(404, 5, 'instance i-1 not found')])).rejects.toThrow('HTTP 404 NOT_FOUND: instance i-1 not found');
  });
});

describe('parseWaitTarget', () => {
  it('reads a phase, phase=, condition=', () => {
    expect(parseWaitTarget('Ready')).toEqual({ kind: 'phase', name: 'Ready' });
    expect(parseWaitTarget('phase=Suspended')).toEqual({ kind: 'phase', name: 'Suspended' });
    expect(parseWaitTarget('condition=DeploymentReady')).toEqual({ kind: 'condition', name: 'DeploymentReady' });
    expect(() => parseWaitTarget('delete')).not.toThrow();
    expect(() => parseWaitTarget('jsonpath={.status}')).toThrow('expected a phase such as Ready');
  });
});

describe('describeState', () => {
  it('says Unknown before the controller has written a status', () => {
    expect(describeState({})).toBe('phase=Unknown');
  });
});
