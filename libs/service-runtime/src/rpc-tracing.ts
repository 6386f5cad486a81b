// A span for every RPC served and every call made, as children of the caller's trace (W3C traceparent in the
// request metadata), and the request id carried along: what a call serves is logged with the request id and trace
// id it came with, and calls it makes pass both on.
import { Code, ConnectError, type Interceptor } from '@connectrpc/connect';
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Span,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';
import { randomUUID } from 'node:crypto';
import { currentRequestId, withRequestId } from './request-context.js';

const tracerName = '@bdk/service-runtime';
const requestIdHeader = 'x-request-id';

const headersGetter: TextMapGetter<Headers> = {
  get: (carrier, key) => carrier.get(key) ?? undefined,
  keys: (carrier) => [...carrier.keys()],
};
const headersSetter: TextMapSetter<Headers> = { set: (carrier, key, value) => carrier.set(key, value) };
const recordSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

// Codes that say the server failed rather than that the caller asked for something it may not have.
const serverFaults = new Set([Code.Unknown, Code.Internal, Code.Unavailable, Code.DataLoss, Code.DeadlineExceeded, Code.Unimplemented]);

function rpcAttributes(service: string, method: string): Attributes {
  return { 'rpc.system': 'grpc', 'rpc.service': service, 'rpc.method': method };
}

function endWithCode(span: Span, error: unknown, faultIf: (code: Code) => boolean): void {
  const failure = ConnectError.from(error);
  span.setAttribute('rpc.grpc.status_code', failure.code);
  if (faultIf(failure.code)) {
    span.recordException(failure);
    span.setStatus({ code: SpanStatusCode.ERROR, message: failure.rawMessage });
  }
}

/**
 * Server side: the span `<service>/<method>` (kind SERVER) under the traceparent the call carries, and the call's
 * x-request-id (a new one when it has none) for everything it does.
 */
export function serverTracingInterceptor(): Interceptor {
  const tracer = trace.getTracer(tracerName);
  return (next) => (request) => {
    const parent = propagation.extract(ROOT_CONTEXT, request.header, headersGetter);
    const requestId = request.header.get(requestIdHeader) || randomUUID();
    const name = `${request.service.typeName}/${request.method.name}`;
    return withRequestId(requestId, () =>
      tracer.startActiveSpan(name, { kind: SpanKind.SERVER, attributes: { ...rpcAttributes(request.service.typeName, request.method.name), 'bdk.request_id': requestId } }, parent, async (span) => {
        try {
          const response = await next(request);
          span.setAttribute('rpc.grpc.status_code', 0);
          return response;
        } catch (error) {
          endWithCode(span, error, (code) => serverFaults.has(code));
          throw error;
        } finally {
          span.end();
        }
      }),
    );
  };
}

/** Client side: the span `<service>/<method>` (kind CLIENT), its traceparent and the current request id sent along. */
export function clientTracingInterceptor(): Interceptor {
  const tracer = trace.getTracer(tracerName);
  return (next) => (request) =>
    tracer.startActiveSpan(`${request.service.typeName}/${request.method.name}`, { kind: SpanKind.CLIENT, attributes: rpcAttributes(request.service.typeName, request.method.name) }, async (span) => {
      propagation.inject(context.active(), request.header, headersSetter);
      const requestId = currentRequestId();
      if (requestId !== undefined && !request.header.has(requestIdHeader)) request.header.set(requestIdHeader, requestId);
      try {
        const response = await next(request);
        span.setAttribute('rpc.grpc.status_code', 0);
        return response;
      } catch (error) {
        endWithCode(span, error, () => true);
        throw error;
      } finally {
        span.end();
      }
    });
}

/**
 * An outgoing HTTP request as a CLIENT span: `send` gets the headers that carry the trace on (traceparent, and the
 * request id being served) and returns the answer's status, which the span records (5xx and failures as errors).
 */
export function tracedHttpRequest<T extends { status: number }>(name: string, attributes: Attributes, send: (traceHeaders: Record<string, string>) => Promise<T>): Promise<T> {
  return trace.getTracer(tracerName).startActiveSpan(name, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    const headers: Record<string, string> = {};
    propagation.inject(context.active(), headers, recordSetter);
    const requestId = currentRequestId();
    if (requestId !== undefined) headers[requestIdHeader] = requestId;
    try {
      const answer = await send(headers);
      span.setAttribute('http.response.status_code', answer.status);
      if (answer.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${answer.status}` });
      return answer;
    } catch (error) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}
