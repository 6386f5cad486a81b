// bdk.v1.BookControllerService: DispatchTrigger (and DispatchTriggers, several in one call) posts a webhook's exact
// bytes to each target instance's book and reports, per target, whether it arrived and whether trying again could
// help. An instance that is not Ready
// is still attempted: the book's endpoint is the authority on whether it can take the trigger, and a refused
// connection comes back as a retryable result the router's retry policy handles.
import { Code, ConnectError, type ServiceImpl } from '@connectrpc/connect';
import { bookObjectNameOf, bookWorkloadName, webhookIntegrationFor, type BookDefinition, type BookInstanceDefinition } from '@bdk/k8s';
import type { BookControllerService, DispatchTriggerRequest, InstanceTarget } from '@bdk/proto';
import { tracedHttpRequest, type Logger } from '@bdk/service-runtime';
import { bookUrl, type ControllerConfig } from '../config.js';
import { instanceIdOf, organizationIdOf } from '../instance/desired-objects.js';
import type { InstanceLookup } from '../instance/instance-lookup.js';
import { failoverTarget, sharedWorkloadOf } from '../instance/placement.js';
import { createBookPoster, type BookPoster } from './book-poster.js';
import { headerJson, type TriggerCredentials } from './trigger-credentials.js';
import { forwardedHeaders, triggerUrl } from './webhook-integration.js';

export interface DispatchDeps {
  /** BDK's namespace: the only one whose instances this controller triggers. */
  namespace: string;
  lookup: InstanceLookup;
  config: Pick<ControllerConfig, 'bookUrlTemplate' | 'bookPort' | 'dispatchTimeoutMs'>;
  logger: Logger;
  /** How triggers reach the books; one keep-alive poster by default. */
  poster?: BookPoster;
  /** Where shared workloads run. */
  sharedNamespace: string;
  /** The credentials a trigger to a shared workload carries. */
  triggerCredentials: TriggerCredentials;
}

interface TargetResult {
  target: { namespace: string; name: string };
  routedTo: string;
  delivered: boolean;
  httpStatus: number;
  error: string;
  retryable: boolean;
  retryAfterSeconds: number;
  held?: boolean;
}

/** Bad input names its field (under `prefix` in a batch), so the router (or a person with grpcurl) can fix the call. */
export function validateDispatch(request: DispatchTriggerRequest, prefix = ''): void {
  const invalid = (message: string) => new ConnectError(`${prefix}${message}`, Code.InvalidArgument);
  if (request.webhookId.trim() === '') throw invalid('webhook_id is required');
  if (request.source.trim() === '') throw invalid('source is required');
  if (request.targets.length === 0) throw invalid('targets must name at least one BookInstanceDefinition');
  request.targets.forEach((target, i) => {
    if (target.namespace.trim() === '') throw invalid(`targets[${i}].namespace is required`);
    if (target.name.trim() === '') throw invalid(`targets[${i}].name is required`);
  });
  for (const [name, value] of Object.entries(request.headers)) {
    if (/[\r\n]/.test(value)) throw invalid(`headers["${name}"] must not contain line breaks`);
  }
  if (/[\r\n]/.test(request.contentType)) throw invalid('content_type must not contain line breaks');
}

/** The most triggers one DispatchTriggers call may carry. */
export const maxTriggersPerCall = 500;

/** 5xx, 408 and 429 may pass on a later try; any other answer will not. */
export function retryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/** The longest wait a book's Retry-After may ask for (a day): beyond it, the router's own schedule decides. */
const maxRetryAfterSeconds = 86_400;

/**
 * A Retry-After header (RFC 9110: delay-seconds or an HTTP-date) as whole seconds from `now`; 0 when absent or
 * unreadable.
 */
export function retryAfterSeconds(value: string | null, now = Date.now()): number {
  if (!value) return 0;
  const trimmed = value.trim();
  const seconds = /^[0-9]{1,10}$/.test(trimmed) ? Number(trimmed) : Math.ceil((Date.parse(trimmed) - now) / 1000);
  if (!Number.isFinite(seconds) || seconds <= 0) return 0;
  return Math.min(seconds, maxRetryAfterSeconds);
}

type Dispatch = Pick<ServiceImpl<typeof BookControllerService>, 'dispatchTrigger' | 'dispatchTriggers'>;

export function createDispatch(deps: DispatchDeps): Dispatch {
  const { namespace, lookup, config, logger } = deps;
  const poster = deps.poster ?? createBookPoster();

  async function dispatchOne(request: DispatchTriggerRequest, target: InstanceTarget, signal: AbortSignal): Promise<TargetResult> {
    const result: TargetResult = { target: { namespace: target.namespace, name: target.name }, routedTo: '', delivered: false, httpStatus: 0, error: '', retryable: false, retryAfterSeconds: 0 };
    const fail = (error: string, retryable: boolean) => ({ ...result, error, retryable });
    const ref = `${target.namespace}/${target.name}`;
    if (target.namespace !== namespace) return fail(`BookInstanceDefinition ${ref} not found: instances live in namespace ${namespace}`, false);

    let instance: BookInstanceDefinition | undefined;
    let book: BookDefinition | undefined;
    try {
      instance = await lookup.instance(target.namespace, target.name);
      if (!instance) return fail(`BookInstanceDefinition ${ref} not found`, false);
      if (instance.metadata.deletionTimestamp) return fail(`BookInstanceDefinition ${ref} is being deleted`, false);
      result.routedTo = `${instance.spec.customer.namespace}/${instance.spec.bookRef.name}`;
      const bookObject = bookObjectNameOf(instance);
      // A range not resolved yet runs no book; the router retries, as it does for an instance not Ready yet.
      if (bookObject === undefined) return fail(`BookInstanceDefinition ${ref} follows ${instance.spec.bookRef.version} and has no resolved version yet`, true);
      book = await lookup.book(namespace, bookObject);
    } catch (error) {
      logger.warn('trigger target lookup failed', { webhook_id: request.webhookId, target: ref, error });
      return fail(`looking up ${ref} failed: ${error instanceof Error ? error.message : String(error)}`, true);
    }
    if (!book) return fail(`BookDefinition ${bookObjectNameOf(instance) ?? ''} of ${ref} not found`, false);
    const integration = webhookIntegrationFor(book, request.source);
    if (!integration) return fail(`book ${book.spec.name} declares no webhook integration for source "${request.source}"`, false);

    // Suspended: nothing is sent, and the router keeps the trigger, uncounted, until the instance resumes.
    if (instance.spec.suspended) return { ...fail(`instance ${ref} is suspended; the trigger is held until it resumes`, true), held: true };
    // A primary that is not Ready hands its triggers to a Ready secondary of the same book and customer.
    const chosen = failoverTarget(instance, lookup.instances(namespace));
    const shared = sharedWorkloadOf(chosen);
    const base = shared
      ? bookUrl(config, shared, deps.sharedNamespace)
      : bookUrl(config, bookWorkloadName(book.spec.name, instanceIdOf(chosen)), chosen.spec.customer.namespace);
    const url = triggerUrl(base, integration.config?.endpoint);
    const headers: Record<string, string> = {
      ...forwardedHeaders(request.headers),
      'Content-Type': request.contentType || 'application/octet-stream',
      'X-BDK-Webhook-Id': request.webhookId,
      'X-BDK-Source': request.source,
      'X-BDK-Instance': `${namespace}/${chosen.metadata.name ?? ''}`,
      'X-BDK-Instance-Id': instanceIdOf(chosen),
      'X-BDK-Organization-Id': organizationIdOf(chosen),
    };
    if (chosen !== instance) headers['X-BDK-Failover-From'] = ref;
    if (request.event) headers['X-BDK-Event'] = request.event;
    if (request.attempt > 0) headers['X-BDK-Attempt'] = String(request.attempt);
    if (shared) {
      // The shared pods serve every organisation of the book version: this trigger brings its own instance's
      // settings and credentials, and nothing of anyone else's.
      const configuration = chosen.spec.configuration ?? {};
      headers['X-BDK-Settings'] = headerJson({
        environment: configuration.environment ?? 'production',
        log_level: configuration.log_level ?? 'info',
        custom_settings: configuration.custom_settings ?? {},
      });
      try {
        headers['X-BDK-Credentials'] = headerJson(await deps.triggerCredentials(chosen, book.spec.name));
      } catch (error) {
        logger.warn('reading the credentials of a shared instance failed', { webhook_id: request.webhookId, target: ref, error });
        return fail(`reading the credentials of ${ref} failed: ${error instanceof Error ? error.message : String(error)}`, true);
      }
    }

    const started = Date.now();
    try {
      // A client span of the DispatchTrigger(s) call's trace; the book gets its traceparent and the request id.
      const answer = await tracedHttpRequest(
        'POST book trigger',
        { 'http.request.method': 'POST', 'url.full': url.toString(), 'bdk.webhook_id': request.webhookId, 'bdk.target': ref },
        (traceHeaders) => poster.post(url, { ...traceHeaders, ...headers }, request.payload, { timeoutMs: config.dispatchTimeoutMs, signal }),
      );
      const delivered = answer.status >= 200 && answer.status < 300;
      const retryable = retryableStatus(answer.status);
      const outcome: TargetResult = delivered
        ? { ...result, delivered: true, httpStatus: answer.status }
        : {
            ...result,
            httpStatus: answer.status,
            error: `book answered HTTP ${answer.status}`,
            retryable,
            retryAfterSeconds: retryable ? retryAfterSeconds(answer.retryAfter) : 0,
          };
      // Per trigger, so at debug: the router logs each webhook with what its attempts came to, and a failed
      // attempt is logged at warn either way.
      (outcome.delivered ? logger.debug : logger.warn).call(logger, 'dispatched trigger', {
        webhook_id: request.webhookId,
        target: ref,
        routed_to: result.routedTo,
        url: url.toString(),
        http_status: answer.status,
        delivered: outcome.delivered,
        duration_ms: Date.now() - started,
      });
      return outcome;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      logger.warn('trigger not delivered', { webhook_id: request.webhookId, target: ref, url: url.toString(), reason, duration_ms: Date.now() - started });
      return fail(`book at ${url.origin} unreachable: ${reason}`, true);
    }
  }

  const dispatch = async (request: DispatchTriggerRequest, signal: AbortSignal) => ({
    results: await Promise.all(request.targets.map((target) => dispatchOne(request, target, signal))),
  });

  return {
    async dispatchTrigger(request, context) {
      validateDispatch(request);
      return dispatch(request, context.signal);
    },
    async dispatchTriggers(request, context) {
      if (request.triggers.length === 0 || request.triggers.length > maxTriggersPerCall) {
        throw new ConnectError(`triggers must hold 1 to ${maxTriggersPerCall} triggers, got ${request.triggers.length}`, Code.InvalidArgument);
      }
      request.triggers.forEach((trigger, i) => validateDispatch(trigger, `triggers[${i}].`));
      return { responses: await Promise.all(request.triggers.map((trigger) => dispatch(trigger, context.signal))) };
    },
  };
}
