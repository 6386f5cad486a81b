// The load: a closed loop (N senders, each sending its next webhook as soon as the last is answered, for a fixed
// time) to find a side's peak rate, and an open loop (a fixed arrival schedule, whatever the answers) for latency
// at a given rate. In the open loop latency counts from when a request was due, not from when it went out, so a
// slow answer that delays the generator still shows in the percentiles.
import { setTimeout as sleep } from 'node:timers/promises';
import type { HttpAnswer, Poster } from './http-poster.js';

export interface WebhookRequest {
  headers: Record<string, string>;
  body: Buffer;
}

export interface LoadPhase {
  poster: Poster;
  /** The next request to send (a fresh body and signature each time). */
  next: () => WebhookRequest;
  /** Told of every answer, also those that arrive after the phase's window. */
  onAnswer?: (answer: HttpAnswer) => void;
}

export interface PhaseResult {
  /** Length of the measured window. */
  windowMs: number;
  /** Requests sent. */
  sent: number;
  /** 2xx answers within the window. */
  okInWindow: number;
  /** 2xx answers in all. */
  ok: number;
  /** Non-2xx answers, by status. */
  refused: Map<number, number>;
  /** Requests without an answer (connection error, timeout). */
  failed: number;
  /** Open loop only: requests the schedule could not send because too many were outstanding. */
  notSent: number;
  /** Latency of every 2xx answer, in milliseconds. */
  latenciesMs: number[];
  /** One failure message, when there were failures. */
  firstFailure?: string;
}

function emptyResult(windowMs: number): PhaseResult {
  return { windowMs, sent: 0, okInWindow: 0, ok: 0, refused: new Map(), failed: 0, notSent: 0, latenciesMs: [] };
}

/** Peak throughput: `concurrency` senders for `durationMs`; waits for the last answers before resolving. */
export async function closedLoop(phase: LoadPhase & { concurrency: number; durationMs: number }): Promise<PhaseResult> {
  const result = emptyResult(phase.durationMs);
  const start = performance.now();
  const end = start + phase.durationMs;
  const sender = async () => {
    while (performance.now() < end) {
      const sentAt = performance.now();
      await send(phase, result, sentAt, (doneAt) => doneAt <= end);
    }
  };
  await Promise.all(Array.from({ length: phase.concurrency }, sender));
  return result;
}

/**
 * `ratePerSecond` arrivals for `durationMs` on a fixed schedule. At most `maxOutstanding` requests are open at
 * once: beyond that the server is not keeping up, and a due request is counted as not sent rather than queued
 * without bound.
 */
export async function openLoop(phase: LoadPhase & { ratePerSecond: number; durationMs: number; maxOutstanding: number }): Promise<PhaseResult> {
  const result = emptyResult(phase.durationMs);
  const count = Math.max(1, Math.round((phase.ratePerSecond * phase.durationMs) / 1_000));
  const intervalMs = 1_000 / phase.ratePerSecond;
  const start = performance.now();
  const outstanding = new Set<Promise<void>>();
  for (let i = 0; i < count; i++) {
    const dueAt = start + i * intervalMs;
    const wait = dueAt - performance.now();
    if (wait > 1) await sleep(wait);
    if (outstanding.size >= phase.maxOutstanding) {
      result.notSent += 1;
      continue;
    }
    const request = send(phase, result, dueAt, () => true);
    outstanding.add(request);
    void request.finally(() => outstanding.delete(request));
  }
  await Promise.all(outstanding);
  return result;
}

async function send(phase: LoadPhase, result: PhaseResult, startedAt: number, inWindow: (doneAt: number) => boolean): Promise<void> {
  const { headers, body } = phase.next();
  result.sent += 1;
  let answer: HttpAnswer;
  try {
    answer = await phase.poster.post(headers, body);
  } catch (error) {
    result.failed += 1;
    result.firstFailure ??= error instanceof Error ? error.message : String(error);
    return;
  }
  const doneAt = performance.now();
  phase.onAnswer?.(answer);
  if (answer.status >= 200 && answer.status < 300) {
    result.ok += 1;
    if (inWindow(doneAt)) result.okInWindow += 1;
    result.latenciesMs.push(doneAt - startedAt);
  } else {
    result.refused.set(answer.status, (result.refused.get(answer.status) ?? 0) + 1);
  }
}

/** 2xx answers a second within the window. */
export function peakRate(result: PhaseResult): number {
  return (result.okInWindow * 1_000) / result.windowMs;
}
