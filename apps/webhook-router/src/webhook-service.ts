// bdk.v1.WebhookService: authenticates a webhook by the signature of the receiving instances' own secrets, and
// hands it to the book controller for exactly the instances whose secret verified it.
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from '@connectrpc/connect';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type {
  DeliverWebhookRequest,
  DeliverWebhookResponseSchema,
  ListDeliveriesRequest,
  ListDeliveriesResponseSchema,
  TriggerResult,
  WebhookService,
  WebhookSubscriber,
} from '@bdk/proto';
import { callerOrganization } from '@bdk/auth';
import type { Logger } from '@bdk/service-runtime';
import { randomUUID } from 'node:crypto';
import type { ControllerClient } from './controller-client.js';
import { deliveryStates, InvalidPageToken, type DeliveryLog } from './delivery-log.js';
import { canonicalInstanceId, instanceIdProblem } from './instance-id.js';
import { urlVerificationChallenge } from './slack-challenge.js';
import type { SubscriberCache } from './subscriber-cache.js';
import { verifyAgainstSubscribers, worthRefetching, type Verdict, type VerifiedSubscriber } from './subscriber-verification.js';
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

export interface WebhookServiceDeps {
  /** The book controller's subscribers of a source (or of one instance), cached. */
  subscribers: SubscriberCache<WebhookSubscriber>;
  controller: ControllerClient;
  controllerTimeoutMs: number;
  /** How far a signed timestamp may be from now. */
  timestampToleranceSeconds: number;
  logger: Logger;
  metrics: WebhookMetrics;
  /** Accepted webhooks and what became of them, for ListDeliveries. */
  deliveries: DeliveryLog;
  /** Default: the clock. */
  now?: () => Date;
}

const defaultPageSize = 50;
const maxPageSize = 500;

export function webhookService(deps: WebhookServiceDeps): ServiceImpl<typeof WebhookService> {
  const { subscribers, controller, logger, metrics, deliveries } = deps;
  const now = deps.now ?? (() => new Date());

  async function deliverWebhook(
    request: DeliverWebhookRequest,
    context: HandlerContext,
  ): Promise<MessageInitShape<typeof DeliverWebhookResponseSchema>> {
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
    const key = { source, instanceId: canonicalInstanceId(request.instanceId) };
    const header = (name: string) => context.requestHeader.get(name);
    const payload = request.body?.data ?? new Uint8Array();
    const contentType = request.body?.contentType ?? '';
    const webhookId = randomUUID();
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
      throw controllerFailure(error, 'listing webhook subscribers', { log, count });
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

    const { verified, organizationId } = verdict;
    const verifiedLog = log.child({ organizationId });
    if (verified.some((subscriber) => subscriber.scheme === 'slack')) {
      const challenge = urlVerificationChallenge(payload);
      if (challenge !== undefined) {
        count('url_verification');
        verifiedLog.info('answered Slack\u2019s url_verification', { instances: verified.map((s) => s.instanceId) });
        return { webhookId, processed: true, routedTo: '', processingTimeMs: elapsedMs(), targets: [], challenge };
      }
    }

    const event = eventHeaders.map(header).find((value) => value) ?? '';
    deliveries.start({ webhookId, source, event, organizationId, payloadSize: payload.length });
    const recordFailure = (lastError: string) =>
      deliveries.finish(webhookId, { state: 'failed', targets: verified.map((s) => s.routedTo), lastError });
    let results: TriggerResult[];
    try {
      const deadline = Math.min(deps.controllerTimeoutMs, context.timeoutMs() ?? Infinity);
      const response = await controller.dispatchTrigger(
        {
          webhookId,
          source,
          event,
          payload,
          contentType,
          headers: forwardableHeaders(header),
          targets: verified.map(({ target }) => ({ namespace: target.namespace, name: target.name })),
        },
        { timeoutMs: deadline, signal: context.signal },
      );
      results = response.results;
    } catch (error) {
      throw controllerFailure(error, 'dispatching', { log: verifiedLog, count, recordFailure });
    }

    const { outcome, routed, failures } = summarize(verified, results);
    for (const failure of failures) verifiedLog.warn('webhook not delivered to an instance', { event, ...failure });
    count(outcome);
    const lastError = failures.map(({ instance, error }) => `${instance}: ${error}`).join('; ');
    deliveries.finish(webhookId, { state: outcome === 'delivered' ? 'delivered' : 'failed', targets: routed, lastError });
    const processingTimeMs = elapsedMs();
    verifiedLog.info('webhook routed', {
      event,
      outcome,
      targets: routed,
      // "previous": the sender still signs with the secret being rotated out.
      signedWith: verified.map((s) => (s.secretIndex === 0 ? 'current' : 'previous')),
      payloadBytes: payload.length,
      processingTimeMs,
    });
    return { webhookId, processed: outcome === 'delivered', routedTo: routed.join(','), processingTimeMs, targets: routed };
  }

  function listDeliveries(request: ListDeliveriesRequest, context: HandlerContext): MessageInitShape<typeof ListDeliveriesResponseSchema> {
    const organizationId = callerOrganization(context);
    if (request.source !== '') {
      const problem = sourceProblem(request.source);
      if (problem) throw new ConnectError(`source: ${problem}`, Code.InvalidArgument);
    }
    if (request.state !== '' && !(deliveryStates as readonly string[]).includes(request.state)) {
      throw new ConnectError(`state: must be one of ${deliveryStates.join(', ')}`, Code.InvalidArgument);
    }
    if (request.pageSize < 0 || request.pageSize > maxPageSize) {
      throw new ConnectError(`page_size: must be from 1 to ${maxPageSize}, or 0 for ${defaultPageSize}`, Code.InvalidArgument);
    }
    let page;
    try {
      page = deliveries.list({
        organizationId,
        source: request.source,
        state: request.state,
        pageSize: request.pageSize || defaultPageSize,
        pageToken: request.pageToken,
      });
    } catch (error) {
      if (error instanceof InvalidPageToken) throw new ConnectError(error.message, Code.InvalidArgument);
      throw error;
    }
    return {
      deliveries: page.deliveries.map((delivery) => ({
        ...delivery,
        receivedAt: timestampFromDate(delivery.receivedAt),
        updatedAt: timestampFromDate(delivery.updatedAt),
      })),
      nextPageToken: page.nextPageToken,
    };
  }

  return {
    deliverWebhook,
    listDeliveries,
    replayDelivery(_request, context) {
      // Only an authenticated caller of an organisation learns that replay does not exist here.
      callerOrganization(context);
      throw new ConnectError('replaying deliveries is not implemented: payloads are not stored', Code.Unimplemented);
    },
  };
}

/** What the sender is told when the controller failed, and what is counted, logged and recorded. */
function controllerFailure(
  error: unknown,
  step: string,
  on: { log: Logger; count: (outcome: WebhookOutcome) => void; recordFailure?: (lastError: string) => void },
): ConnectError {
  const cause = ConnectError.from(error);
  if (transientCodes.has(cause.code)) {
    on.count('unavailable');
    on.recordFailure?.(`book controller unavailable: ${cause.rawMessage}`);
    on.log.warn('book controller unavailable', { step, code: Code[cause.code], error: cause.message });
    return new ConnectError('the book controller is unavailable; try again later', Code.Unavailable);
  }
  on.count('error');
  on.recordFailure?.(`book controller failed: ${Code[cause.code]}`);
  on.log.error('the book controller failed', { step, code: Code[cause.code], error: cause });
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

/**
 * What the controller's per-target results add up to, for the verified targets only: a result for any other
 * instance is ignored, so the answer never names an instance the signature did not verify for.
 */
export function summarize(targets: readonly VerifiedSubscriber[], results: readonly TriggerResult[]) {
  const outcomes = targets.map((subscriber) => ({
    subscriber,
    result: results.find((result) => result.target?.namespace === subscriber.target.namespace && result.target.name === subscriber.target.name),
  }));
  const failures = outcomes
    .filter(({ result }) => !result?.delivered)
    .map(({ subscriber, result }) => ({
      instance: subscriber.routedTo,
      instanceId: subscriber.instanceId,
      httpStatus: result?.httpStatus ?? 0,
      // A target the controller did not answer for counts as failed, and worth retrying.
      error: result?.error || 'no result from the book controller',
      retryable: result?.retryable ?? true,
    }));
  const outcome: WebhookOutcome = failures.length === 0 ? 'delivered' : failures.length === targets.length ? 'failed' : 'partial';
  // One entry per instance, in the controller's words where it gave them.
  const routed = outcomes.map(({ subscriber, result }) => result?.routedTo || subscriber.routedTo);
  return { outcome, routed, failures };
}
