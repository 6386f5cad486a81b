// DeliverWebhook: authenticates a webhook by the signature of the receiving instances' own secrets, records it
// durably for exactly the instances whose secret verified it, and only then answers 2xx. The first attempt starts
// at once; the sender waits for it up to a budget and is told `processed: true` when every target took it, else
// `processed: false`: the webhook is then owed, retried on schedule, never lost.
import { Code, ConnectError, type HandlerContext } from '@connectrpc/connect';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { DeliverWebhookRequest, DeliverWebhookResponseSchema, WebhookSubscriber } from '@bdk/proto';
import { uuidv7, type DeliveryStore, type DueWork, type NewDelivery } from '@bdk/delivery-store';
import type { Logger } from '@bdk/service-runtime';
import type { AttemptReport, Dispatcher } from '../delivery/dispatcher.js';
import { canonicalInstanceId, instanceIdProblem } from './instance-id.js';
import type { PayloadContract } from './payload-contract.js';
import { describeViolation, payloadRefusal } from './payload-refusal.js';
import { distinctViolations, screenPayload } from './payload-screening.js';
import { createPayloadValidator, type PayloadValidator } from './payload-validator.js';
import { senderDeliveryId } from './sender-delivery-id.js';
import { urlVerificationChallenge } from './slack-challenge.js';
import type { SubscriberCache } from './subscriber-cache.js';
import { verifyAgainstSubscribers, worthRefetching, type Verdict, type VerifiedSubscriber } from './subscriber-verification.js';
import type { TokenBuckets } from './token-buckets.js';
import { unknownSourceLabel, type WebhookMetrics, type WebhookOutcome } from './webhook-metrics.js';
import { sourceProblem } from './webhook-source.js';

/** Sender headers passed on to the book (ids and event names). Signatures and credentials never are. */
export const forwardedHeaders = [
  'x-github-event',
  'x-github-delivery',
  'x-github-hook-id',
  'x-webhook-source',
  'x-webhook-event',
  'x-webhook-delivery',
  'x-zendesk-webhook-invocation-id',
  // Standard Webhooks' delivery id, signed with the body: the book's idempotency key for retries.
  'webhook-id',
  'x-request-id',
  'user-agent',
] as const;

/** Headers naming the sender's event, in order of preference. */
const eventHeaders = ['x-webhook-event', 'x-github-event'] as const;

/**
 * The one answer to every webhook that did not verify, whatever the reason: naming it (no subscriber, unknown
 * instance, wrong scheme, stale timestamp) would tell a stranger which sources and instances exist.
 */
export const unauthenticatedMessage = 'the webhook signature could not be verified';

// Codes that mean "the controller could not answer now", which the sender may retry: 503 to the sender.
const transientCodes = new Set([Code.Unavailable, Code.DeadlineExceeded, Code.ResourceExhausted, Code.Aborted]);

export interface IntakeLimits {
  /** Per source (the path's), checked before the signature so a flood costs no HMAC. */
  perSource: TokenBuckets;
  /** Per organisation, once the signature says whose webhook it is. */
  perOrganization: TokenBuckets;
  /** Owed (webhook, target) pairs above which webhooks are refused until the queue drains. */
  maxPending: number;
  /** The queue's current depth (from the store, plus what this replica accepted since). */
  queueDepth: () => number;
  /** Told of each webhook recorded, with its number of targets. */
  noteAccepted: (pairs: number) => void;
}

export interface IntakeDeps {
  /** The book controller's subscribers of a source (or of one instance), cached. */
  subscribers: SubscriberCache<WebhookSubscriber>;
  store: DeliveryStore;
  dispatcher: Dispatcher;
  /** Attempts in flight above which a new webhook's first attempt is left to the dispatcher's loop. */
  concurrency: number;
  /** How long the sender waits for the first attempt before it is answered `processed: false`. */
  firstAttemptBudgetMs: number;
  /** How long the first attempt's targets stay this replica's: longer than an attempt can take. */
  leaseMs: number;
  idempotencyWindowMs: number;
  limits: IntakeLimits;
  /** How far a signed timestamp may be from now. */
  timestampToleranceSeconds: number;
  logger: Logger;
  metrics: WebhookMetrics;
  /** What a verified subscriber's book accepts from the source; undefined: any payload. Default: the controller's word. */
  payloadContract?: (subscriber: VerifiedSubscriber) => PayloadContract | undefined;
  /** Default: one of its own, holding up to 1,000 compiled schemas. */
  payloadValidator?: PayloadValidator;
  /** Default: the clock. */
  now?: () => Date;
}

export type DeliverWebhookResponse = MessageInitShape<typeof DeliverWebhookResponseSchema>;

export function webhookIntake(deps: IntakeDeps): (request: DeliverWebhookRequest, context: HandlerContext) => Promise<DeliverWebhookResponse> {
  const { subscribers, store, dispatcher, limits, logger, metrics } = deps;
  const now = deps.now ?? (() => new Date());
  const contractOf = deps.payloadContract ?? ((subscriber: VerifiedSubscriber) => subscriber.contract);
  const validator = deps.payloadValidator ?? createPayloadValidator({ maxSchemas: 1_000 });

  return async function deliverWebhook(request, context) {
    const started = performance.now();
    const elapsedMs = () => Math.round(performance.now() - started);
    const { source } = request;

    const problem = sourceProblem(source);
    if (problem) {
      metrics.count('invalid', 'invalid');
      throw new ConnectError(`source: ${problem}`, Code.InvalidArgument);
    }
    if (request.instanceId !== '') {
      const idProblem = instanceIdProblem(request.instanceId);
      if (idProblem) {
        metrics.count('invalid', 'invalid');
        throw new ConnectError(`instance_id: ${idProblem}`, Code.InvalidArgument);
      }
    }
    const sourceTake = limits.perSource.take(source);
    if (!sourceTake.ok) {
      metrics.count(unknownSourceLabel, 'rate_limited');
      throw tooMany(context, sourceTake.retryAfterSeconds, `source "${source}" is over its webhook rate limit`);
    }

    const key = { source, instanceId: canonicalInstanceId(request.instanceId) };
    const header = (name: string) => context.requestHeader.get(name);
    const payload = request.body?.data ?? new Uint8Array();
    const contentType = request.body?.contentType ?? '';
    const webhookId = uuidv7();
    const log = logger.child({ webhook_id: webhookId, source, ...(key.instanceId ? { instance_id: key.instanceId } : {}) });
    // Only sources with a subscriber become label values: the path is the sender's to choose, the label set is not.
    let sourceLabel = unknownSourceLabel;
    const count = (outcome: WebhookOutcome) => metrics.count(sourceLabel, outcome);

    const verify = (list: WebhookSubscriber[]) => {
      if (list.length > 0) sourceLabel = source;
      return verifyAgainstSubscribers({
        ...key,
        subscribers: list,
        payload,
        header,
        now: now(),
        toleranceSeconds: deps.timestampToleranceSeconds,
      });
    };
    let verdict: Verdict;
    try {
      verdict = verify(await subscribers.get(key));
      if (worthRefetching(verdict)) {
        // The cached list may predate a rotation or a new instance; a fresh one is asked for at most once a second.
        const fresh = await subscribers.refetch(key);
        if (fresh) verdict = verify(fresh);
      }
    } catch (error) {
      throw controllerFailure(error, { log, count });
    }

    if (!verdict.ok) {
      // As "reason:count" values: keys naming signatures would be redacted by the logger.
      const failures = Object.entries(verdict.failures).map(([reason, n]) => `${reason}:${n}`);
      const fields = { reason: verdict.reason, failures, detail: verdict.detail, payloadBytes: payload.length };
      if (verdict.reason === 'several_organizations') {
        count('ambiguous');
        log.error('webhook verified for instances of several organisations: a signing secret is shared; delivered to none', {
          ...fields,
          instances: verdict.instances,
        });
      } else {
        count('unauthenticated');
        log.warn('webhook rejected', fields);
      }
      throw new ConnectError(unauthenticatedMessage, Code.Unauthenticated);
    }

    const { organizationId } = verdict;
    const verifiedLog = log.child({ organizationId });
    const scheme = verdict.verified[0]?.scheme;
    if (verdict.verified.some((subscriber) => subscriber.scheme === 'slack')) {
      const challenge = urlVerificationChallenge(payload);
      if (challenge !== undefined) {
        count('url_verification');
        verifiedLog.info('answered Slack\u2019s url_verification', { instances: verdict.verified.map((s) => s.instanceId) });
        return { webhookId, processed: true, routedTo: '', processingTimeMs: elapsedMs(), targets: [], challenge };
      }
    }

    const organizationTake = limits.perOrganization.take(organizationId);
    if (!organizationTake.ok) {
      count('rate_limited');
      throw tooMany(context, organizationTake.retryAfterSeconds, 'the organisation is over its webhook rate limit');
    }

    // Before anything is recorded: a payload goes only to the books whose contract it meets.
    const screening = screenPayload({ payload, subscribers: verdict.verified, contractOf, validator });
    for (const { subscriber, book, reason } of screening.unchecked) {
      verifiedLog.error('the book\u2019s payload schema cannot be compiled; the payload is not delivered to it', { instance: subscriber.instanceId, book, reason });
    }
    if (screening.refused.length > 0) {
      verifiedLog.warn('payload refused: it does not match what the book accepts', {
        refused: screening.refused.map(({ subscriber, book, violations }) => ({ instance: subscriber.instanceId, book, violations: violations.map(describeViolation) })),
        payloadBytes: payload.length,
      });
    }
    if (screening.accepted.length === 0) {
      if (screening.unchecked.length > 0) {
        // The book's configuration, not the sender, is at fault: 500, which senders retry once it is fixed.
        count('error');
        throw new ConnectError('checking the payload failed', Code.Internal);
      }
      count('invalid_payload');
      throw payloadRefusal(context, { source, books: screening.refused.map((r) => r.book), violations: distinctViolations(screening.refused) });
    }
    const verified = screening.accepted;
    const refusedTargets = [...screening.refused, ...screening.unchecked].map(({ subscriber }) => subscriber.routedTo);
    const queueDepth = limits.queueDepth();
    if (queueDepth + verified.length > limits.maxPending) {
      count('queue_full');
      verifiedLog.warn('webhook refused: the delivery queue is full', { queueDepth, maxPending: limits.maxPending });
      context.responseHeader.set('retry-after', '30');
      throw new ConnectError('the delivery queue is full; try again later', Code.Unavailable);
    }

    const delivery: NewDelivery = {
      webhookId,
      organizationId,
      source,
      event: eventHeaders.map(header).find((value) => value) ?? '',
      contentType,
      payload,
      headers: forwardableHeaders(header),
      targets: verified.map(({ target, instanceId, routedTo }) => ({ namespace: target.namespace, name: target.name, instanceId, routedTo })),
      idempotencyKey: verified[0]?.deliveryId || senderDeliveryId(scheme, header, payload),
      receivedAt: now(),
    };
    // Over the attempts the dispatcher may have in flight, the first attempt is left to its loop: the webhook
    // waits in the store, not in this process's memory.
    const attemptNow = dispatcher.inFlight < deps.concurrency;
    let accepted;
    try {
      accepted = await store.accept(delivery, { leaseMs: attemptNow ? deps.leaseMs : 0, idempotencyWindowMs: deps.idempotencyWindowMs });
    } catch (error) {
      count('unavailable');
      verifiedLog.error('recording the webhook failed; the sender is told to retry', { error });
      context.responseHeader.set('retry-after', '5');
      throw new ConnectError('the webhook could not be recorded; try again later', Code.Unavailable);
    }

    if (accepted.duplicate) {
      count('duplicate');
      const { original } = accepted;
      verifiedLog.info('webhook already accepted: the sender retried a delivery', { original: original.webhookId, state: original.state });
      const targets = original.targets.map((t) => t.routedTo);
      return { webhookId: original.webhookId, processed: original.state === 'delivered', routedTo: targets.join(','), targets, processingTimeMs: elapsedMs(), duplicate: true };
    }
    count('accepted');
    limits.noteAccepted(delivery.targets.length);

    const targets = delivery.targets.map((t) => t.routedTo);
    let reports: AttemptReport[] | undefined;
    if (attemptNow) {
      const work: DueWork[] = delivery.targets.map((destination, target) => ({ ...delivery, target, destination, attempt: 1 }));
      const attempts = dispatcher.attemptNow(work);
      // What the budget leaves unfinished goes on after the answer, and is recorded when it ends.
      attempts.catch((error: unknown) => verifiedLog.warn('recording the first attempt failed; it is made again when its lease ends', { error }));
      const budget = Math.min(deps.firstAttemptBudgetMs, Math.max(0, (context.timeoutMs() ?? Infinity) - 100));
      reports = await withinBudget(attempts, budget);
    }
    const processed = reports !== undefined && reports.every((report) => report.outcome.state === 'delivered');
    verifiedLog.info('webhook accepted', {
      event: delivery.event,
      targets,
      processed,
      ...(refusedTargets.length > 0 ? { refusedTargets } : {}),
      ...(reports ? { attempts: reports.map((r) => `${r.routedTo}:${r.outcome.state}${r.httpStatus ? `:${r.httpStatus}` : ''}`) } : {}),
      // "previous": the sender still signs with the secret being rotated out.
      signedWith: verified.map((s) => (s.secretIndex === 0 ? 'current' : 'previous')),
      payloadBytes: payload.length,
      processingTimeMs: elapsedMs(),
    });
    return { webhookId, processed, routedTo: targets.join(','), targets, processingTimeMs: elapsedMs(), refusedTargets };
  };
}

/** The attempts' reports if they all end within `ms`; undefined otherwise (they go on regardless). */
async function withinBudget(attempts: Promise<AttemptReport[]>, ms: number): Promise<AttemptReport[] | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([attempts.catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** 429 with Retry-After (the sidecar passes the header on). */
function tooMany(context: HandlerContext, retryAfterSeconds: number, message: string): ConnectError {
  context.responseHeader.set('retry-after', String(retryAfterSeconds));
  return new ConnectError(`${message}; retry after ${retryAfterSeconds} s`, Code.ResourceExhausted);
}

/** What the sender is told when the controller could not list subscribers, and what is counted and logged. */
function controllerFailure(error: unknown, on: { log: Logger; count: (outcome: WebhookOutcome) => void }): ConnectError {
  const cause = ConnectError.from(error);
  if (transientCodes.has(cause.code)) {
    on.count('unavailable');
    on.log.warn('book controller unavailable', { step: 'listing webhook subscribers', code: Code[cause.code], error: cause.message });
    return new ConnectError('the book controller is unavailable; try again later', Code.Unavailable);
  }
  on.count('error');
  on.log.error('the book controller failed', { step: 'listing webhook subscribers', code: Code[cause.code], error: cause });
  return new ConnectError('routing the webhook failed', Code.Internal);
}

/** The allow-listed sender headers the request carries. */
function forwardableHeaders(header: (name: string) => string | null): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of forwardedHeaders) {
    const value = header(name);
    if (value) headers[name] = value;
  }
  return headers;
}
