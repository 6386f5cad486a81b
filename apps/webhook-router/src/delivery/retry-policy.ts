// When to try a failed delivery again, and when to stop. Exponential backoff on a fixed, documented schedule
// (the default spans about 27.6 hours, as webhook platforms retry for a day or more), with jitter so that a book which failed for
// many webhooks at once is not hit by all their retries at the same moment. The book's own answer decides
// whether a retry can help: a 4xx other than 408 and 429 cannot, so it is dead-lettered at once. A trigger held
// for a suspended instance is not an attempt at all: it is offered again later, as often as it takes.
import type { AttemptOutcome } from '@bdk/delivery-store';

/** Delays after the 1st, 2nd, ... failed attempt; one more attempt than delays, then the dead-letter queue. */
export const defaultRetrySchedule = '5s,5m,30m,2h,5h,10h,10h';

export interface RetryPolicy {
  /** Milliseconds to wait after each failed attempt. */
  delaysMs: readonly number[];
  /** ± this fraction of each delay, at random. */
  jitter: number;
  /** How soon a trigger held for a suspended instance is offered again (default 15 s). */
  heldRecheckMs?: number;
}

/** What one attempt came to, as the book controller reported it. */
export interface AttemptResult {
  delivered: boolean;
  retryable: boolean;
  /** The book's Retry-After, 0 when none. */
  retryAfterSeconds: number;
  /** The instance is suspended: nothing was attempted, and the trigger waits for it to resume. */
  held?: boolean;
}

const units: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "5s,5m,30m,2h" into milliseconds; throws naming the bad entry. */
export function parseRetrySchedule(text: string): number[] {
  const entries = text.split(',').map((entry) => entry.trim());
  if (entries.length === 0 || entries.length > 50) throw new Error('must list 1 to 50 delays');
  return entries.map((entry) => {
    const match = /^([0-9]{1,9})(ms|s|m|h|d)$/.exec(entry);
    if (!match?.[1] || !match[2]) throw new Error(`"${entry}" is not a delay such as 500ms, 5s, 5m, 2h or 1d`);
    const ms = Number(match[1]) * (units[match[2]] ?? Number.NaN);
    if (!(ms >= 1 && ms <= 7 * 86_400_000)) throw new Error(`"${entry}" must be from 1ms to 7d`);
    return ms;
  });
}

/**
 * The next state after attempt number `attempt` (1-based) ended with `result`. A Retry-After longer than the
 * scheduled delay is honoured; a shorter one is not, so a book cannot make the router retry faster than planned.
 */
export function nextStep(policy: RetryPolicy, attempt: number, result: AttemptResult, now: Date, random = Math.random): AttemptOutcome {
  if (result.delivered) return { state: 'delivered' };
  // Held is not a failure: no attempt is spent, so a suspension of any length loses nothing to the dead-letter queue.
  if (result.held) return { state: 'held', nextAttemptAt: new Date(now.getTime() + (policy.heldRecheckMs ?? 15_000)) };
  if (!result.retryable) return { state: 'dead_lettered' };
  const base = policy.delaysMs[attempt - 1];
  if (base === undefined) return { state: 'dead_lettered' };
  const jittered = base * (1 + policy.jitter * (2 * random() - 1));
  const delay = Math.max(jittered, result.retryAfterSeconds * 1_000);
  return { state: 'failed', nextAttemptAt: new Date(now.getTime() + Math.round(delay)) };
}
