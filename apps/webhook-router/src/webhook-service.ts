// bdk.v1.WebhookService: authenticates a webhook, finds the book instances that declare a webhook integration for
// its source, and hands it to the book controller, which posts it to each instance.
import { Code, ConnectError, type Client, type HandlerContext, type ServiceImpl } from '@connectrpc/connect';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type {
  BookControllerService,
  DeliverWebhookRequest,
  DeliverWebhookResponseSchema,
  ListDeliveriesRequest,
  ListDeliveriesResponseSchema,
  TriggerResult,
  WebhookService,
} from '@bdk/proto';
import type { Logger } from '@bdk/service-runtime';
import { randomUUID } from 'node:crypto';
import { deliveryStates, InvalidPageToken, type DeliveryLog } from './delivery-log.js';
import type { RouteTarget } from './routing.js';
import type { WebhookSecrets } from './secret-store.js';
import { verifySignature } from './signature.js';
import type { WebhookMetrics, WebhookOutcome } from './webhook-metrics.js';
import { sourceProblem } from './webhook-source.js';

/** Sender headers passed on to the book (ids and event names). Signatures and credentials never are. */
export const forwardedHeaders = [
  'x-github-event',
  'x-github-delivery',
  'x-github-hook-id',
  'x-webhook-source',
  'x-webhook-event',
  'x-webhook-delivery',
  'x-request-id',
  'user-agent',
] as const;

/** Headers naming the sender's event, in order of preference. */
const eventHeaders = ['x-webhook-event', 'x-github-event'] as const;

// Codes that mean "the controller could not answer now", which the sender may retry: 503 to the sender.
const transientCodes = new Set([Code.Unavailable, Code.DeadlineExceeded, Code.ResourceExhausted, Code.Aborted]);

export interface WebhookServiceDeps {
  secrets: WebhookSecrets;
  routes: { targetsFor(source: string): RouteTarget[] };
  controller: Client<typeof BookControllerService>;
  controllerTimeoutMs: number;
  logger: Logger;
  metrics: WebhookMetrics;
  /** Accepted webhooks and what became of them, for ListDeliveries. */
  deliveries: DeliveryLog;
}

const defaultPageSize = 50;
const maxPageSize = 500;

export function webhookService(deps: WebhookServiceDeps): ServiceImpl<typeof WebhookService> {
  const { secrets, routes, controller, logger, metrics, deliveries } = deps;

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
    // Only configured sources become label values: the path is the sender's to choose, the label set is not.
    const sourceLabel = secrets.isConfigured(source) ? source : 'unconfigured';
    const count = (outcome: WebhookOutcome) => metrics.count(sourceLabel, outcome);
    const header = (name: string) => context.requestHeader.get(name);
    const payload = request.body?.data ?? new Uint8Array();
    const contentType = request.body?.contentType ?? '';

    const verification = verifySignature({ source, payload, header, secrets });
    if (!verification.ok) {
      count('unauthenticated');
      logger.warn('webhook rejected', { source, reason: verification.reason, payloadBytes: payload.length });
      throw new ConnectError(verification.message, Code.Unauthenticated);
    }

    const webhookId = randomUUID();
    const event = eventHeaders.map(header).find((value) => value) ?? '';
    const log = logger.child({ webhook_id: webhookId, source, event });
    deliveries.start({ webhookId, source, event, payloadSize: payload.length });
    const targets = routes.targetsFor(source);
    if (targets.length === 0) {
      // 200 with processed=false rather than 404: the sender did nothing wrong (no book subscribes to this source
      // yet), senders such as GitHub disable hooks that keep failing, and a 404 would tell strangers which sources
      // have subscribers.
      count('unrouted');
      deliveries.finish(webhookId, { state: 'failed', targets: [], lastError: `no book instance receives webhooks from source "${source}"` });
      log.info('webhook matched no book instance', { scheme: verification.scheme, payloadBytes: payload.length });
      return { webhookId, processed: false, routedTo: '', processingTimeMs: elapsedMs(), targets: [] };
    }

    const headers = forwardableHeaders(header);
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
          headers,
          targets: targets.map(({ namespace, name }) => ({ namespace, name })),
        },
        { timeoutMs: deadline, signal: context.signal },
      );
      results = response.results;
    } catch (error) {
      const cause = ConnectError.from(error);
      const routedTo = targets.map((target) => target.routedTo);
      if (transientCodes.has(cause.code)) {
        count('unavailable');
        deliveries.finish(webhookId, { state: 'failed', targets: routedTo, lastError: `book controller unavailable: ${cause.rawMessage}` });
        log.warn('book controller unavailable', { code: Code[cause.code], error: cause.message });
        throw new ConnectError('the book controller is unavailable; try again later', Code.Unavailable);
      }
      count('error');
      deliveries.finish(webhookId, { state: 'failed', targets: routedTo, lastError: `book controller failed: ${Code[cause.code]}` });
      log.error('dispatch to the book controller failed', { code: Code[cause.code], error: cause });
      throw new ConnectError('routing the webhook failed', Code.Internal);
    }

    const { outcome, routed, failures } = summarize(targets, results);
    for (const failure of failures) log.warn('webhook not delivered to an instance', { ...failure });
    count(outcome);
    const lastError = failures.map(({ instance, error }) => `${instance}: ${error}`).join('; ');
    deliveries.finish(webhookId, { state: outcome === 'delivered' ? 'delivered' : 'failed', targets: routed, lastError });
    const processingTimeMs = elapsedMs();
    log.info('webhook routed', { outcome, targets: routed, payloadBytes: payload.length, processingTimeMs });
    return { webhookId, processed: outcome === 'delivered', routedTo: routed.join(','), processingTimeMs, targets: routed };
  }

  function listDeliveries(request: ListDeliveriesRequest): MessageInitShape<typeof ListDeliveriesResponseSchema> {
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
    replayDelivery() {
      // Replaying needs the payload, which only the durable delivery queue (the next issue) will keep.
      throw new ConnectError('replaying deliveries is not implemented yet: payloads are not stored', Code.Unimplemented);
    },
  };
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

/** What the controller's per-target results add up to. */
export function summarize(targets: RouteTarget[], results: TriggerResult[]) {
  const outcomes = targets.map((target) => ({
    target,
    result: results.find((result) => result.target?.namespace === target.namespace && result.target.name === target.name),
  }));
  const failures = outcomes
    .filter(({ result }) => !result?.delivered)
    .map(({ target, result }) => ({
      instance: `${target.namespace}/${target.name}`,
      httpStatus: result?.httpStatus ?? 0,
      // A target the controller did not answer for counts as failed, and worth retrying.
      error: result?.error || 'no result from the book controller',
      retryable: result?.retryable ?? true,
    }));
  const outcome: WebhookOutcome = failures.length === 0 ? 'delivered' : failures.length === targets.length ? 'failed' : 'partial';
  // One entry per instance, in the controller's words where it gave them.
  const routed = outcomes.map(({ target, result }) => result?.routedTo || target.routedTo);
  return { outcome, routed, failures };
}
