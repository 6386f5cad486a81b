// ListDeliveries, GetDelivery, ReplayDelivery and ReplayDeliveries: the delivery log, read from the durable
// store and scoped to the caller's organisation. Another organisation's delivery answers NotFound, as one that
// does not exist.
import { Code, ConnectError, type HandlerContext } from '@connectrpc/connect';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampDate, timestampFromDate, type Timestamp } from '@bufbuild/protobuf/wkt';
import type {
  DeliverySchema,
  GetDeliveryRequest,
  GetDeliveryResponseSchema,
  ListDeliveriesRequest,
  ListDeliveriesResponseSchema,
  ReplayDeliveriesRequest,
  ReplayDeliveriesResponseSchema,
  ReplayDeliveryRequest,
  ReplayDeliveryResponseSchema,
} from '@bdk/proto';
import { callerOrganization } from '@bdk/auth';
import { deliveryStates, InvalidPageToken, type Delivery, type DeliveryFilter, type DeliveryState, type DeliveryStore } from '@bdk/delivery-store';
import type { Logger } from '@bdk/service-runtime';
import { sourceProblem } from '../intake/webhook-source.js';

const defaultPageSize = 50;
const maxPageSize = 500;
const defaultReplayLimit = 100;
const maxReplayLimit = 1_000;
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface DeliveryLogDeps {
  store: DeliveryStore;
  /** Tells the dispatcher that replayed work is due now. */
  onReplayed: () => void;
  logger: Logger;
}

type DeliveryMessage = MessageInitShape<typeof DeliverySchema>;

/** A delivery as the API shows it; the attempt log only where one delivery is read. */
export function deliveryMessage(delivery: Delivery, withAttempts: boolean): DeliveryMessage {
  const time = (date: Date | undefined) => (date ? timestampFromDate(date) : undefined);
  return {
    webhookId: delivery.webhookId,
    source: delivery.source,
    event: delivery.event,
    state: delivery.state,
    attempts: delivery.attempts,
    lastError: delivery.lastError,
    targets: delivery.targets.map((t) => t.routedTo),
    payloadSize: delivery.payloadSize,
    receivedAt: time(delivery.receivedAt),
    updatedAt: time(delivery.updatedAt),
    nextAttemptAt: time(delivery.nextAttemptAt),
    organizationId: delivery.organizationId,
    contentType: delivery.contentType,
    targetStates: delivery.targets.map((t) => ({
      instanceId: t.instanceId,
      routedTo: t.routedTo,
      state: t.state,
      attempts: t.attempts,
      lastError: t.lastError,
      nextAttemptAt: time(t.nextAttemptAt),
    })),
    attemptLog: withAttempts
      ? delivery.attemptLog.map((a) => ({
          attemptedAt: time(a.at),
          instanceId: delivery.targets[a.target]?.instanceId ?? '',
          routedTo: delivery.targets[a.target]?.routedTo ?? '',
          httpStatus: a.httpStatus,
          latencyMs: Math.round(a.latencyMs),
          error: a.error,
        }))
      : [],
  };
}

function invalid(message: string): ConnectError {
  return new ConnectError(message, Code.InvalidArgument);
}

function webhookIdOf(request: { webhookId: string }): string {
  const id = request.webhookId.trim().toLowerCase();
  if (id === '') throw invalid('webhook_id is required');
  if (!uuid.test(id)) throw invalid('webhook_id: must be a webhook id (a UUID) as DeliverWebhook answered it');
  return id;
}

function timeRange(request: { receivedAfter?: Timestamp; receivedBefore?: Timestamp }): Pick<DeliveryFilter, 'receivedAfter' | 'receivedBefore'> {
  const after = request.receivedAfter ? timestampDate(request.receivedAfter) : undefined;
  const before = request.receivedBefore ? timestampDate(request.receivedBefore) : undefined;
  if (after && before && after >= before) throw invalid('received_after: must be before received_before');
  return { ...(after ? { receivedAfter: after } : {}), ...(before ? { receivedBefore: before } : {}) };
}

function sourceFilter(source: string): Pick<DeliveryFilter, 'source'> {
  if (source === '') return {};
  const problem = sourceProblem(source);
  if (problem) throw invalid(`source: ${problem}`);
  return { source };
}

export function deliveryLogApi(deps: DeliveryLogDeps) {
  const { store, logger } = deps;

  async function listDeliveries(request: ListDeliveriesRequest, context: HandlerContext): Promise<MessageInitShape<typeof ListDeliveriesResponseSchema>> {
    const organizationId = callerOrganization(context);
    if (request.state !== '' && !(deliveryStates as readonly string[]).includes(request.state)) {
      throw invalid(`state: must be one of ${deliveryStates.join(', ')}`);
    }
    if (request.pageSize < 0 || request.pageSize > maxPageSize) {
      throw invalid(`page_size: must be from 1 to ${maxPageSize}, or 0 for ${defaultPageSize}`);
    }
    const filter: DeliveryFilter = {
      organizationId,
      ...sourceFilter(request.source),
      ...(request.state ? { state: request.state as DeliveryState } : {}),
      ...timeRange(request),
    };
    try {
      const page = await store.list(filter, { pageSize: request.pageSize || defaultPageSize, pageToken: request.pageToken });
      return { deliveries: page.deliveries.map((d) => deliveryMessage(d, false)), nextPageToken: page.nextPageToken };
    } catch (error) {
      if (error instanceof InvalidPageToken) throw invalid(error.message);
      throw error;
    }
  }

  async function getDelivery(request: GetDeliveryRequest, context: HandlerContext): Promise<MessageInitShape<typeof GetDeliveryResponseSchema>> {
    const organizationId = callerOrganization(context);
    const webhookId = webhookIdOf(request);
    const delivery = await store.get(organizationId, webhookId);
    if (!delivery) throw new ConnectError(`delivery ${webhookId} not found`, Code.NotFound);
    return { delivery: deliveryMessage(delivery, true) };
  }

  async function replayDelivery(request: ReplayDeliveryRequest, context: HandlerContext): Promise<MessageInitShape<typeof ReplayDeliveryResponseSchema>> {
    const organizationId = callerOrganization(context);
    const webhookId = webhookIdOf(request);
    const before = await store.get(organizationId, webhookId);
    if (!before) throw new ConnectError(`delivery ${webhookId} not found`, Code.NotFound);
    const replayed = await store.replay({ organizationId, webhookIds: [webhookId] }, 1);
    if (replayed.length === 0) {
      throw new ConnectError(
        `delivery ${webhookId} is ${before.state}: only a dead-lettered or delivered delivery can be replayed; one still being tried is retried on its own`,
        Code.FailedPrecondition,
      );
    }
    deps.onReplayed();
    logger.info('delivery replayed', { webhook_id: webhookId, organizationId, previousState: before.state });
    const after = await store.get(organizationId, webhookId);
    return { delivery: deliveryMessage(after ?? before, true) };
  }

  async function replayDeliveries(request: ReplayDeliveriesRequest, context: HandlerContext): Promise<MessageInitShape<typeof ReplayDeliveriesResponseSchema>> {
    const organizationId = callerOrganization(context);
    const state = request.state || 'dead_lettered';
    if (state !== 'dead_lettered' && state !== 'delivered') throw invalid('state: must be dead_lettered (the default) or delivered');
    if (request.limit < 0 || request.limit > maxReplayLimit) throw invalid(`limit: must be from 1 to ${maxReplayLimit}, or 0 for ${defaultReplayLimit}`);
    const filter: DeliveryFilter = { organizationId, state, ...sourceFilter(request.source), ...timeRange(request) };
    const webhookIds = await store.replay(filter, request.limit || defaultReplayLimit);
    if (webhookIds.length > 0) deps.onReplayed();
    logger.info('deliveries replayed', { organizationId, source: request.source, state, count: webhookIds.length });
    return { webhookIds };
  }

  return { listDeliveries, getDelivery, replayDelivery, replayDeliveries };
}
