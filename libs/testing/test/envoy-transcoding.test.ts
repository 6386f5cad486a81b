// The real Envoy, with the sidecar config from envoy/, in front of a real connect-node gRPC server: proves the
// transcoder is configured for all three services from the generated descriptor set, prints the spec's
// snake_case JSON, answers 201 where a service asks for it, and maps gRPC errors to HTTP statuses.
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, type ConnectRouter } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import http2 from 'node:http2';
import {
  BookControllerService,
  BookLibraryService,
  DeliverWebhookResponseSchema,
  WebhookService,
} from '@bdk/proto';
import { freePort, startEnvoy, type RunningEnvoy } from '../src/index.js';

const bookId = '3f0e7a52-7d0c-4bde-9a3c-1f1b2d8c9e01';
const createdAt = timestampFromDate(new Date('2024-01-01T00:00:00Z'));
const received: { body?: Buffer; signature?: string; contentType?: string } = {};

function routes(router: ConnectRouter) {
  router.service(BookLibraryService, {
    getBook(request) {
      if (request.bookId !== bookId) throw new ConnectError(`book ${request.bookId} not found`, Code.NotFound);
      return {
        book: {
          bookId,
          name: 'customer-support',
          version: '1.0.0',
          schema: { inputs: [{ name: 'customer_id', type: 'string', required: true }] },
          capabilities: ['ticket_creation'],
          createdAt,
        },
      };
    },
    createBook(request, context) {
      if (request.name === '') throw new ConnectError('name: must not be empty', Code.InvalidArgument);
      context.responseHeader.set('x-bdk-http-status', '201');
      return { bookId, name: request.name, version: request.version, createdAt };
    },
  });
  router.service(WebhookService, {
    deliverWebhook(request, context) {
      received.body = Buffer.from(request.body?.data ?? new Uint8Array());
      received.contentType = request.body?.contentType;
      received.signature = context.requestHeader.get('x-hub-signature-256') ?? undefined;
      return create(DeliverWebhookResponseSchema, {
        webhookId: 'w-1',
        processed: false,
        routedTo: `${request.source}:${createHash('sha256').update(received.body).digest('hex')}`,
        processingTimeMs: 150,
      });
    },
  });
  // Served behind the sidecar only to prove the sidecar does not reach it.
  router.service(BookControllerService, {
    dispatchTrigger(request) {
      dispatched += 1;
      return { results: request.targets.map((target) => ({ target, delivered: true, httpStatus: 202 })) };
    },
  });
}

let server: http2.Http2Server;
let dispatched = 0;
let envoy: RunningEnvoy;

beforeAll(async () => {
  const grpcPort = await freePort();
  server = http2.createServer(connectNodeAdapter({ routes }));
  await new Promise<void>((resolve) => server.listen(grpcPort, '127.0.0.1', resolve));
  envoy = await startEnvoy({ config: 'envoy/sidecar.yaml', upstreams: { app_grpc: grpcPort } });
}, 60_000);

afterAll(async () => {
  await envoy?.stop();
  await new Promise((resolve) => server?.close(resolve));
});

async function rest(method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}) {
  const response = await fetch(`${envoy.url}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

describe('BookLibraryService through the Envoy sidecar', () => {
  it('answers GET /api/v1/books/{book_id} with the book in snake_case JSON', async () => {
    const { status, json } = await rest('GET', `/api/v1/books/${bookId}`);
    expect(status).toBe(200);
    expect(json['book']).toMatchObject({
      book_id: bookId,
      name: 'customer-support',
      created_at: '2024-01-01T00:00:00Z',
      schema: { inputs: [{ name: 'customer_id', type: 'string', required: true }], outputs: [] },
    });
    expect(Object.keys(json['book'] as object)).not.toContain('bookId');
  });

  it('answers POST /api/v1/books with 201 Created and the spec body, without internal or gRPC headers', async () => {
    const { status, headers, json } = await rest('POST', '/api/v1/books', JSON.stringify({ name: 'customer-support', version: '1.0.0' }));
    expect(status).toBe(201);
    expect(headers.get('x-bdk-http-status')).toBeNull();
    expect(headers.get('grpc-status')).toBeNull();
    expect(headers.get('grpc-message')).toBeNull();
    expect(json).toEqual({ book_id: bookId, name: 'customer-support', version: '1.0.0', created_at: '2024-01-01T00:00:00Z' });
  });

  it('maps NOT_FOUND to 404 with a google.rpc.Status JSON body', async () => {
    const { status, json, headers } = await rest('GET', '/api/v1/books/unknown');
    expect(headers.get('grpc-status')).toBeNull();
    expect(status).toBe(404);
    expect(json).toMatchObject({ code: Code.NotFound, message: 'book unknown not found' });
  });

  it('maps INVALID_ARGUMENT to 400 and keeps the field in the message', async () => {
    const { status, json } = await rest('POST', '/api/v1/books', JSON.stringify({ name: '', version: '1.0.0' }));
    expect(status).toBe(400);
    expect(json).toMatchObject({ code: Code.InvalidArgument, message: 'name: must not be empty' });
  });

  it('keeps the JSON of a gRPC-originated error as the transcoder prints it', async () => {
    const response = await fetch(`${envoy.url}/api/v1/books/unknown`);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ code: Code.NotFound, message: 'book unknown not found', details: [] });
  });
});

// Errors Envoy answers itself, without the app (envoy/sidecar.yaml local_reply_config): JSON shaped like
// google.rpc.Status, as the app's own errors are, never Envoy's plain text.
describe("the sidecar's own errors", () => {
  async function localReply(url: string, init?: RequestInit) {
    const response = await fetch(url, init);
    const text = await response.text();
    return { status: response.status, contentType: response.headers.get('content-type'), json: JSON.parse(text) as { code: number; message: string } };
  }

  it('answers a malformed JSON body 400 INVALID_ARGUMENT with the parser message', async () => {
    const reply = await localReply(`${envoy.url}/api/v1/books`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name": "customer-support",' });
    expect(reply).toMatchObject({ status: 400, contentType: 'application/json', json: { code: Code.InvalidArgument } });
    expect(reply.json.message).not.toBe('');
  });

  it('answers an unknown query parameter 400 INVALID_ARGUMENT naming it', async () => {
    const reply = await localReply(`${envoy.url}/api/v1/books/${bookId}?colour=red`);
    expect(reply).toMatchObject({ status: 400, contentType: 'application/json', json: { code: Code.InvalidArgument } });
    expect(reply.json.message).toContain('colour');
  });

  it('answers a path that maps to no RPC 404 NOT_FOUND, without reaching the app', async () => {
    const reply = await localReply(`${envoy.url}/api/v1/nothing-here`);
    expect(reply).toEqual({
      status: 404,
      contentType: 'application/json',
      json: { code: Code.NotFound, message: 'Could not resolve /api/v1/nothing-here to a method.' },
    });
  });

  it('answers 503 UNAVAILABLE when the app does not accept connections', async () => {
    const orphan = await startEnvoy({ config: 'envoy/sidecar.yaml', upstreams: { app_grpc: await freePort() } });
    try {
      const reply = await localReply(`${orphan.url}/api/v1/books/${bookId}`);
      expect(reply).toMatchObject({ status: 503, contentType: 'application/json', json: { code: Code.Unavailable } });
      expect(reply.json.message).toContain('upstream connect error');
    } finally {
      await orphan.stop();
    }
  });
});

describe('WebhookService through the Envoy sidecar', () => {
  it('hands the raw body to the service byte-for-byte, with the sender headers as metadata', async () => {
    // Key order, spacing and a non-ASCII character: any re-encoding would change the bytes.
    const payload = Buffer.from('{"zeta": 1,  "alpha":"caf\u00e9",\n"n":1.50}');
    const { status, json } = await rest('POST', '/api/v1/webhooks/github', payload, { 'x-hub-signature-256': 'sha256=abc' });
    expect(status).toBe(200);
    expect(received.body?.equals(payload)).toBe(true);
    expect(received.contentType).toBe('application/json');
    expect(received.signature).toBe('sha256=abc');
    expect(json).toEqual({
      webhook_id: 'w-1',
      processed: false,
      routed_to: `github:${createHash('sha256').update(payload).digest('hex')}`,
      processing_time_ms: 150,
      targets: [],
      refused_targets: [],
    });
  });
});

describe('BookControllerService, which is internal', () => {
  it('is not reachable through the Envoy sidecar: its gRPC path answers 404, not the service', async () => {
    const body = JSON.stringify({ webhook_id: 'w-1', source: 'github', targets: [{ namespace: 'bdk', name: 'acme' }] });
    for (const path of ['/internal/v1/triggers:dispatch', '/bdk.v1.BookControllerService/DispatchTrigger']) {
      const { status } = await rest('POST', path, body);
      expect({ path, status }).toEqual({ path, status: 404 });
    }
    expect(dispatched).toBe(0);
  });
});
