// Hands owed deliveries to the book controller, one trigger per (webhook, target) pair, batched into
// DispatchTriggers calls (trigger-batcher.ts), and records each attempt and its next step in the store. Two ways in: the first attempt of a webhook just accepted (the sender is
// waiting for it, up to a budget), and a loop that claims whatever is due from the store: retries, replays, and
// first attempts whose router died before recording them. Attempts in flight are bounded; what is over the bound
// waits in the store, not in memory.
import { ConnectError } from '@connectrpc/connect';
import type { AttemptOutcome, DeliveryStore, DueWork } from '@bdk/delivery-store';
import type { Logger } from '@bdk/service-runtime';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ControllerClient } from '../controller-client.js';
import type { DeliveryMetrics } from './delivery-metrics.js';
import { nextStep, type AttemptResult, type RetryPolicy } from './retry-policy.js';
import { createTriggerBatcher } from './trigger-batcher.js';

export interface DispatcherOptions {
  store: DeliveryStore;
  controller: ControllerClient;
  policy: RetryPolicy;
  /** Deadline of one DispatchTrigger call. */
  attemptTimeoutMs: number;
  /** How long a claimed pair stays this replica's: longer than an attempt can take. */
  leaseMs: number;
  /** Attempts in flight at once, first attempts included. */
  concurrency: number;
  /** How often the store is asked for due work when there was none. */
  pollMs: number;
  logger: Logger;
  metrics: DeliveryMetrics;
}

/** One finished attempt, for the sender's answer. */
export interface AttemptReport {
  target: number;
  routedTo: string;
  outcome: AttemptOutcome;
  httpStatus: number;
  error: string;
}

export interface Dispatcher {
  /** Attempts every pair now (a webhook just accepted); resolves when all are recorded. */
  attemptNow(work: readonly DueWork[]): Promise<AttemptReport[]>;
  /** Attempts in flight, first attempts included. */
  readonly inFlight: number;
  /** Starts claiming due work from the store. */
  start(): void;
  /** Claims at once instead of at the next poll: work was just made due (a replay). */
  nudge(): void;
  /** Stops claiming and waits for the attempts in flight to be recorded. */
  stop(): Promise<void>;
}

export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const { store, policy, logger, metrics } = options;
  const triggers = createTriggerBatcher({ controller: options.controller, timeoutMs: options.attemptTimeoutMs });
  let inFlight = 0;
  let running = false;
  let loop: Promise<void> | undefined;
  const settled = new Set<Promise<unknown>>();
  // Ends the loop's wait early: when a replay made work due, on stop, and, while every slot was taken, when one
  // frees up.
  let wake: (() => void) | undefined;
  let waitingForRoom = false;

  async function attemptOne(work: DueWork): Promise<AttemptReport> {
    const started = performance.now();
    const at = new Date();
    let result: AttemptResult;
    let httpStatus = 0;
    let error = '';
    try {
      const response = await triggers.dispatch({
        webhookId: work.webhookId,
        source: work.source,
        event: work.event,
        payload: work.payload,
        contentType: work.contentType,
        headers: work.headers,
        targets: [{ namespace: work.destination.namespace, name: work.destination.name }],
        attempt: work.attempt,
      });
      const answer = response.results.find((r) => r.target?.namespace === work.destination.namespace && r.target.name === work.destination.name);
      if (answer) {
        result = { delivered: answer.delivered, retryable: answer.retryable, retryAfterSeconds: answer.retryAfterSeconds, held: answer.held };
        httpStatus = answer.httpStatus;
        error = answer.error;
      } else {
        result = { delivered: false, retryable: true, retryAfterSeconds: 0 };
        error = 'no result from the book controller';
      }
    } catch (cause) {
      // The controller (not the book) could not be asked: worth trying again on the schedule.
      const failure = ConnectError.from(cause);
      result = { delivered: false, retryable: true, retryAfterSeconds: 0 };
      error = `book controller unavailable: ${failure.rawMessage}`;
    }
    const latencyMs = performance.now() - started;
    const outcome = nextStep(policy, work.attempt, result, new Date());
    // The attempt is recorded before it counts as done: if this write fails the lease runs out and the pair is
    // attempted again, which the book's X-BDK-Webhook-Id lets it recognise.
    await store.recordAttempt(work.webhookId, work.target, { at, target: work.target, httpStatus, latencyMs, error }, outcome);
    metrics.attempted(work, outcome, latencyMs);
    const fields = { webhook_id: work.webhookId, source: work.source, target: work.destination.routedTo, attempt: work.attempt, http_status: httpStatus };
    if (outcome.state === 'dead_lettered') logger.warn('delivery dead-lettered', { ...fields, error });
    else if (outcome.state === 'held') logger.debug('delivery held: the instance is suspended', { ...fields, next_attempt_at: outcome.nextAttemptAt.toISOString() });
    else if (outcome.state === 'failed') logger.info('delivery attempt failed; retry scheduled', { ...fields, error, next_attempt_at: outcome.nextAttemptAt.toISOString() });
    return { target: work.target, routedTo: work.destination.routedTo, outcome, httpStatus, error };
  }

  function track<T>(promise: Promise<T>): Promise<T> {
    inFlight += 1;
    const done = promise.finally(() => {
      inFlight -= 1;
      settled.delete(done);
      if (waitingForRoom) wake?.();
    });
    settled.add(done);
    return done;
  }

  async function claimLoop(): Promise<void> {
    while (running) {
      const room = options.concurrency - inFlight;
      let claimed: DueWork[] = [];
      if (room > 0) {
        try {
          claimed = await store.claimDue(room, options.leaseMs);
        } catch (error) {
          logger.warn('claiming due deliveries failed; trying again', { error });
          await sleep(options.pollMs * 4);
          continue;
        }
        for (const work of claimed) {
          track(attemptOne(work)).catch((error: unknown) => {
            logger.warn('recording a delivery attempt failed; the pair is attempted again when its lease ends', { webhook_id: work.webhookId, error });
          });
        }
      }
      // A full batch means there may be more due now; otherwise wait for the next poll, or for a free slot.
      if (room <= 0 || claimed.length < room) {
        waitingForRoom = room <= 0;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, options.pollMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
        waitingForRoom = false;
      }
    }
  }

  return {
    attemptNow(work) {
      return Promise.all(work.map((each) => track(attemptOne(each))));
    },
    get inFlight() {
      return inFlight;
    },
    start() {
      if (running) return;
      running = true;
      loop = claimLoop();
    },
    nudge() {
      wake?.();
    },
    async stop() {
      running = false;
      wake?.();
      await loop;
      await Promise.allSettled([...settled]);
    },
  };
}
