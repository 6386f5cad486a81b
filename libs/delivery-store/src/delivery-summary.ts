// What every delivery store derives the same way: a delivery's state from its targets', and the page tokens of
// the delivery log (newest first, by receivedAt then webhookId).
import { InvalidPageToken, type DeliveryState, type TargetStatus } from './delivery-store.js';

export interface DeliverySummary {
  state: DeliveryState;
  attempts: number;
  nextAttemptAt?: Date;
}

/** pending while any target is, else failed while any awaits a retry, else dead_lettered if any is, else delivered. */
export function summarizeTargets(targets: readonly Pick<TargetStatus, 'state' | 'attempts' | 'nextAttemptAt'>[]): DeliverySummary {
  const has = (state: DeliveryState) => targets.some((target) => target.state === state);
  const state: DeliveryState = has('pending') ? 'pending' : has('failed') ? 'failed' : has('dead_lettered') ? 'dead_lettered' : 'delivered';
  const attempts = targets.reduce((sum, target) => sum + target.attempts, 0);
  const retries = targets.flatMap((target) => (target.state === 'failed' && target.nextAttemptAt ? [target.nextAttemptAt.getTime()] : []));
  return retries.length > 0 ? { state, attempts, nextAttemptAt: new Date(Math.min(...retries)) } : { state, attempts };
}

export interface PagePosition {
  receivedAt: number;
  webhookId: string;
}

export function encodePageToken(last: { receivedAt: Date; webhookId: string }): string {
  return Buffer.from(`after:${last.receivedAt.getTime()}:${last.webhookId}`).toString('base64url');
}

export function decodePageToken(token: string): PagePosition {
  const match = /^after:([0-9]{1,16}):([0-9a-f-]{36})$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  if (!match?.[1] || !match[2]) throw new InvalidPageToken('page_token: not a token from a previous page');
  return { receivedAt: Number(match[1]), webhookId: match[2] };
}
