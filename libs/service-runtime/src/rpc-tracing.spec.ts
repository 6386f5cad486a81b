// The interceptors over Connect's in-memory router transport: a real client and a real router, no network.
import { createClient, createRouterTransport } from '@connectrpc/connect';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { Code, ConnectError } from '@connectrpc/connect';
import { BookControllerService } from '@bdk/proto';
import { currentRequestId, requestLogFields } from './request-context.js';
import { clientTracingInterceptor, serverTracingInterceptor, tracedHttpRequest } from './rpc-tracing.js';
import { startTracing, type Tracing } from './tracing.js';

const exporter = new InMemorySpanExporter();
let tracing: Tracing;
const seen: { requestId?: string; fields?: ReturnType<typeof requestLogFields>; headers?: Headers }[] = [];

beforeAll(() => {
  tracing = startTracing({ serviceName: 'spec', env: {}, spanProcessor: new SimpleSpanProcessor({ exporter }) });
});
afterAll(() => tracing.shutdown());

function client() {
  const transport = createRouterTransport(
    (router) =>
      router.service(BookControllerService, {
        dispatchTrigger: (request, context) => {
          seen.push({ requestId: currentRequestId(), fields: requestLogFields(), headers: context.requestHeader });
          if (request.source === 'broken') throw new ConnectError('store down', Code.Unavailable);
          if (request.source === 'refused') throw new ConnectError('no such source', Code.NotFound);
          return { results: [] };
        },
      }),
    { router: { interceptors: [serverTracingInterceptor()] }, transport: { interceptors: [clientTracingInterceptor()] } },
  );
  return createClient(BookControllerService, transport);
}

describe('RPC tracing', () => {
  it('serves the call in the caller’s trace, with its request id, and records both sides', async () => {
    exporter.reset();
    await client().dispatchTrigger({ webhookId: 'w', source: 'zendesk' }, { headers: { 'x-request-id': 'req-9' } });
    const [server, clientSpan] = exporter.getFinishedSpans();
    expect(server?.name).toBe('bdk.v1.BookControllerService/DispatchTrigger');
    expect(server?.kind).toBe(SpanKind.SERVER);
    expect(clientSpan?.kind).toBe(SpanKind.CLIENT);
    expect(server?.spanContext().traceId).toBe(clientSpan?.spanContext().traceId);
    expect(server?.parentSpanContext?.spanId).toBe(clientSpan?.spanContext().spanId);
    expect(server?.attributes).toMatchObject({ 'rpc.system': 'grpc', 'rpc.service': 'bdk.v1.BookControllerService', 'rpc.method': 'DispatchTrigger', 'rpc.grpc.status_code': 0, 'bdk.request_id': 'req-9' });
    const last = seen.at(-1);
    expect(last?.requestId).toBe('req-9');
    expect(last?.fields).toEqual({ request_id: 'req-9', trace_id: server?.spanContext().traceId, span_id: server?.spanContext().spanId });
    expect(last?.headers?.get('traceparent')).toBe(`00-${clientSpan?.spanContext().traceId}-${clientSpan?.spanContext().spanId}-01`);
  });

  it('gives a call without x-request-id one of its own', async () => {
    await client().dispatchTrigger({ webhookId: 'w', source: 'zendesk' });
    expect(seen.at(-1)?.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('marks a server fault as an error, and a refusal only with its code', async () => {
    exporter.reset();
    await expect(client().dispatchTrigger({ webhookId: 'w', source: 'broken' })).rejects.toThrow('store down');
    await expect(client().dispatchTrigger({ webhookId: 'w', source: 'refused' })).rejects.toThrow('no such source');
    const servers = exporter.getFinishedSpans().filter((span) => span.kind === SpanKind.SERVER);
    expect(servers.map((span) => [span.attributes['rpc.grpc.status_code'], span.status.code])).toEqual([
      [Code.Unavailable, SpanStatusCode.ERROR],
      [Code.NotFound, SpanStatusCode.UNSET],
    ]);
  });

  it('sends traceparent and the request id on an HTTP request made while serving', async () => {
    exporter.reset();
    let sent: Record<string, string> = {};
    const transport = createRouterTransport(
      (router) =>
        router.service(BookControllerService, {
          dispatchTrigger: async () => {
            await tracedHttpRequest('POST book trigger', { 'url.full': 'http://book/hook' }, async (headers) => {
              sent = headers;
              return { status: 503 };
            });
            return { results: [] };
          },
        }),
      { router: { interceptors: [serverTracingInterceptor()] } },
    );
    await createClient(BookControllerService, transport).dispatchTrigger({ webhookId: 'w', source: 'zendesk' }, { headers: { 'x-request-id': 'req-5' } });
    const post = exporter.getFinishedSpans().find((span) => span.name === 'POST book trigger');
    expect(sent).toEqual({ traceparent: `00-${post?.spanContext().traceId}-${post?.spanContext().spanId}-01`, 'x-request-id': 'req-5' });
    expect(post?.attributes['http.response.status_code']).toBe(503);
    expect(post?.status.code).toBe(SpanStatusCode.ERROR);
  });
});
