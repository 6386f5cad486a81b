// Tracing through a real service on loopback, exported over OTLP/HTTP to a collector on loopback: a call that
// arrives with a W3C traceparent is served in that trace, the call it makes to a BookControllerService goes on in
// it, and so does an HTTP POST made while serving, whose traceparent the receiving server sees.
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BookControllerService } from '@bdk/proto';
import { createControllerClient, startService, tracedHttpRequest, type RunningService } from '../src/index.js';
import { startOtlpCollector, type OtlpCollector } from './otlp-collector.js';

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const callerSpanId = '00f067aa0ba902b7';

let collector: OtlpCollector;
let service: RunningService;
let book: http.Server;
const bookHeaders: http.IncomingHttpHeaders[] = [];

beforeAll(async () => {
  collector = await startOtlpCollector();
  book = http.createServer((request, response) => {
    bookHeaders.push(request.headers);
    request.resume();
    request.on('end', () => response.writeHead(202).end());
  });
  await new Promise<void>((resolve) => book.listen(0, '127.0.0.1', resolve));
  const bookUrl = `http://127.0.0.1:${(book.address() as AddressInfo).port}/hook`;
  let port = 0;
  const selfAt = () => createControllerClient({ baseUrl: `http://127.0.0.1:${port}`, token: async () => 'a-token' });
  service = await startService({
    name: 'tracing-test',
    env: { GRPC_HOST: '127.0.0.1', GRPC_PORT: '0', ADMIN_PORT: '0', LOG_LEVEL: 'error', OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_BSP_SCHEDULE_DELAY: '50' },
    routes(router) {
      router.service(BookControllerService, {
        // The router's part: one call on to the controller.
        dispatchTriggers: async () => ({ responses: [await selfAt().dispatchTrigger({ webhookId: 'w-1', source: 'zendesk' })] }),
        // The controller's part: the trigger POSTed to the book.
        dispatchTrigger: async () => {
          const answer = await tracedHttpRequest('POST book trigger', { 'http.request.method': 'POST' }, async (headers) => {
            const sent = await fetch(bookUrl, { method: 'POST', headers, body: '{}' });
            return { status: sent.status };
          });
          return { results: [{ delivered: answer.status === 202, httpStatus: answer.status }] };
        },
      });
    },
  });
  port = service.grpc.port;
}, 30_000);

afterAll(async () => {
  await service?.close();
  await new Promise<void>((resolve) => (book ? book.close(() => resolve()) : resolve()));
  await collector?.close();
});

describe('tracing', () => {
  it('keeps one trace from the caller through a second RPC to the POST, and exports every span over OTLP', async () => {
    const client = createClient(BookControllerService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${service.grpc.port}` }));
    const answer = await client.dispatchTriggers(
      { triggers: [{ webhookId: 'w-1', source: 'zendesk' }] },
      { headers: { traceparent: `00-${traceId}-${callerSpanId}-01`, 'x-request-id': 'req-123' } },
    );
    expect(answer.responses[0]?.results[0]?.httpStatus).toBe(202);

    // The book saw the trace, a parent span of this trace, and the request id.
    expect(bookHeaders).toHaveLength(1);
    const traceparent = String(bookHeaders[0]?.['traceparent']);
    expect(traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    expect(bookHeaders[0]?.['x-request-id']).toBe('req-123');

    // Batches go out every 50 ms; the close at the end would flush too, but the spans are wanted now.
    const deadline = Date.now() + 10_000;
    while (collector.spans.length < 4 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const byName = (name: string, kind: number) => collector.spans.find((span) => span.name === name && span.kind === kind);
    const SERVER = 2;
    const CLIENT = 3;
    const outer = byName('bdk.v1.BookControllerService/DispatchTriggers', SERVER);
    const call = byName('bdk.v1.BookControllerService/DispatchTrigger', CLIENT);
    const inner = byName('bdk.v1.BookControllerService/DispatchTrigger', SERVER);
    const post = byName('POST book trigger', CLIENT);
    expect([outer, call, inner, post].map((span) => span?.traceId)).toEqual([traceId, traceId, traceId, traceId]);
    expect(outer?.parentSpanId).toBe(callerSpanId);
    expect(call?.parentSpanId).toBe(outer?.spanId);
    expect(inner?.parentSpanId).toBe(call?.spanId);
    expect(post?.parentSpanId).toBe(inner?.spanId);
    expect(traceparent).toBe(`00-${traceId}-${post?.spanId}-01`);
    expect(outer).toMatchObject({ service: 'tracing-test', attributes: { 'rpc.system': 'grpc', 'rpc.method': 'DispatchTriggers', 'rpc.grpc.status_code': 0, 'bdk.request_id': 'req-123' } });
    expect(inner?.attributes['bdk.request_id']).toBe('req-123');
    expect(post?.attributes['http.response.status_code']).toBe(202);
  });
});
