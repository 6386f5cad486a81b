// What every log line written while serving one request carries: the request id (Envoy's x-request-id, or one made
// up for a call that came without it) and the trace id of the span in which the line is written. Both follow the
// request through every await, timer and callback it starts (AsyncLocalStorage), so code that logs needs no
// parameter for them.
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorage } from 'node:async_hooks';

const requestIds = new AsyncLocalStorage<string>();

/** Runs `fn` as part of the request `requestId`: its log lines and outgoing calls carry the id. */
export function withRequestId<T>(requestId: string, fn: () => T): T {
  return requestIds.run(requestId, fn);
}

/** The request id of the request being served here, if any. */
export function currentRequestId(): string | undefined {
  return requestIds.getStore();
}

/** `request_id`, `trace_id` and `span_id` of the request and span being served here; empty outside a request. */
export function requestLogFields(): { request_id?: string; trace_id?: string; span_id?: string } {
  const fields: { request_id?: string; trace_id?: string; span_id?: string } = {};
  const requestId = requestIds.getStore();
  if (requestId !== undefined) fields.request_id = requestId;
  const span = trace.getSpanContext(context.active());
  if (span && trace.isSpanContextValid(span)) {
    fields.trace_id = span.traceId;
    fields.span_id = span.spanId;
  }
  return fields;
}
