// DispatchTrigger on the built controller's gRPC port, called with the webhook router's ServiceAccount token,
// with a real HTTP server on loopback as the book: the exact bytes and content type reach the integration's
// endpoint, sender secrets do not, and each target's outcome (delivered, a 5xx, a 4xx, an unknown instance)
// comes back as its own result.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Code, ConnectError, type Client } from '@connectrpc/connect';
import { bdkResources, type BookInstanceDefinition } from '@bdk/k8s';
import type { BookControllerService } from '@bdk/proto';
import { startApp, startKubeEnv, type KubeEnv, type RunningApp } from '@bdk/testing';
import { CoreV1Api } from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { controllerClient, seedBook, seedInstance, serviceAccountToken } from './fixtures.js';

interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

const bdkNamespace = 'bdk';
let env: KubeEnv | undefined;
let app: RunningApp | undefined;
let bookServer: http.Server | undefined;
let client: Client<typeof BookControllerService>;
let instance: BookInstanceDefinition;
const received: Received[] = [];
let answer = 200;
let answerHeaders: Record<string, string> = {};

beforeAll(async () => {
  // The book: records every request and answers with the status the test chose.
  bookServer = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks) });
      response.writeHead(answer, { 'content-type': 'application/json', ...answerHeaders }).end('{"accepted":true}');
    });
  });
  await new Promise<void>((resolve) => bookServer?.listen(0, '127.0.0.1', resolve));
  const bookPort = (bookServer.address() as AddressInfo).port;

  env = await startKubeEnv();
  const resources = bdkResources(env.kubeConfig);
  await env.kubeConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: bdkNamespace } } });
  const book = await resources.books.create(bdkNamespace, seedBook(bdkNamespace, randomUUID()));
  instance = await resources.instances.create(
    bdkNamespace,
    seedInstance({ namespace: bdkNamespace, customerNamespace: 'customer-acme', book, instanceId: randomUUID() }),
  );
  app = await startApp('book-controller', {
    KUBECONFIG: env.kubeconfigPath,
    BDK_NAMESPACE: bdkNamespace,
    BDK_BOOK_URL_TEMPLATE: `http://127.0.0.1:${bookPort}`,
  });
  client = controllerClient(app.grpcPort, await serviceAccountToken(env.kubeConfig, bdkNamespace, 'webhook-router'));
}, 120_000);

afterAll(async () => {
  await app?.stop();
  await env?.stop();
  await new Promise((resolve) => bookServer?.close(resolve));
}, 60_000);

beforeEach(() => {
  received.length = 0;
  answer = 200;
  answerHeaders = {};
});

// Bytes a re-serializing hop would change: odd spacing, key order, a non-ASCII character.
const payload = Buffer.from('{"ticket": {"id":"12345",  "subject":"Login issue — é"},"timestamp":"2024-01-01T00:00:00Z"}\n', 'utf8');
const target = () => ({ namespace: bdkNamespace, name: instance.metadata.name ?? '' });
interface Overrides {
  webhookId?: string;
  source?: string;
  targets?: { namespace: string; name: string }[];
}
const request = (overrides: Overrides = {}) => ({
  webhookId: 'wh-1',
  source: 'zendesk',
  event: 'ticket.created',
  payload,
  contentType: 'application/json; charset=utf-8',
  headers: {
    'x-webhook-event': 'ticket.created',
    'x-webhook-delivery': 'delivery-7',
    'x-webhook-signature': 'sha256=not-for-the-book',
    authorization: 'Bearer not-for-the-book',
  },
  targets: [target()],
  ...overrides,
});

describe('DispatchTrigger', () => {
  it('posts the exact payload and content type to the integration endpoint and reports delivery', async () => {
    const response = await client.dispatchTrigger(request());
    expect(response.results).toHaveLength(1);
    expect(response.results[0]).toMatchObject({
      target: target(),
      routedTo: 'customer-acme/customer-support-book',
      delivered: true,
      httpStatus: 200,
      error: '',
      retryable: false,
    });
    expect(received).toHaveLength(1);
    const [delivery] = received;
    expect(delivery?.method).toBe('POST');
    expect(delivery?.url).toBe('/webhooks/zendesk');
    expect(delivery?.body.equals(payload)).toBe(true);
    expect(delivery?.headers).toMatchObject({
      'content-type': 'application/json; charset=utf-8',
      'x-bdk-webhook-id': 'wh-1',
      'x-bdk-source': 'zendesk',
      'x-bdk-event': 'ticket.created',
      'x-bdk-webhook-event': 'ticket.created',
      'x-bdk-webhook-delivery': 'delivery-7',
    });
    expect(JSON.stringify(delivery?.headers)).not.toContain('not-for-the-book');
  });

  it('reports a 5xx from the book as not delivered and retryable', async () => {
    answer = 503;
    const [result] = (await client.dispatchTrigger(request())).results;
    expect(result).toMatchObject({ delivered: false, httpStatus: 503, retryable: true, error: 'book answered HTTP 503' });
  });

  it('passes on the book\u2019s Retry-After with a 429, and tells the book which attempt this is', async () => {
    answer = 429;
    answerHeaders = { 'retry-after': '120' };
    const [result] = (await client.dispatchTrigger({ ...request(), attempt: 3 })).results;
    expect(result).toMatchObject({ delivered: false, httpStatus: 429, retryable: true, retryAfterSeconds: 120 });
    expect(received[0]?.headers['x-bdk-attempt']).toBe('3');
  });

  it('dispatches several webhooks in one DispatchTriggers call, answering each in order', async () => {
    const { responses } = await client.dispatchTriggers({
      triggers: [request({ webhookId: 'wh-a' }), request({ webhookId: 'wh-b', targets: [{ namespace: bdkNamespace, name: 'no-such-instance' }] }), request({ webhookId: 'wh-c' })],
    });
    expect(responses.map((r) => r.results.map((result) => [result.delivered, result.retryable]))).toEqual([[[true, false]], [[false, false]], [[true, false]]]);
    expect(received.map((r) => r.headers['x-bdk-webhook-id']).sort()).toEqual(['wh-a', 'wh-c']);
  });

  it('refuses a DispatchTriggers call with an empty batch or a bad trigger, naming it, and posts nothing', async () => {
    await expect(client.dispatchTriggers({ triggers: [] })).rejects.toMatchObject({ code: Code.InvalidArgument, rawMessage: 'triggers must hold 1 to 500 triggers, got 0' });
    await expect(client.dispatchTriggers({ triggers: [request(), request({ webhookId: ' ' })] })).rejects.toMatchObject({
      code: Code.InvalidArgument,
      rawMessage: 'triggers[1].webhook_id is required',
    });
    expect(received).toEqual([]);
  });

  it('reports a 4xx from the book as not delivered and not retryable', async () => {
    answer = 422;
    const [result] = (await client.dispatchTrigger(request())).results;
    expect(result).toMatchObject({ delivered: false, httpStatus: 422, retryable: false });
  });

  it('answers an unknown target with an error result beside the other targets', async () => {
    const unknown = { namespace: bdkNamespace, name: 'no-such-instance' };
    const response = await client.dispatchTrigger(request({ targets: [unknown, target()] }));
    expect(response.results).toEqual([
      expect.objectContaining({ target: expect.objectContaining(unknown), delivered: false, retryable: false, error: `BookInstanceDefinition bdk/no-such-instance not found` }),
      expect.objectContaining({ target: expect.objectContaining(target()), delivered: true }),
    ]);
    expect(received).toHaveLength(1);
  });

  it('answers a source the book has no webhook integration for without calling the book', async () => {
    const [result] = (await client.dispatchTrigger(request({ source: 'github' }))).results;
    expect(result).toMatchObject({ delivered: false, retryable: false, routedTo: 'customer-acme/customer-support-book', error: expect.stringContaining('github') });
    expect(received).toHaveLength(0);
  });

  it.each([
    [{ webhookId: '' }, 'webhook_id is required'],
    [{ source: '' }, 'source is required'],
    [{ targets: [] }, 'targets must name at least one BookInstanceDefinition'],
    [{ targets: [{ namespace: bdkNamespace, name: '' }] }, 'targets[0].name is required'],
  ])('rejects %j with InvalidArgument naming the field', async (overrides, message) => {
    const error = await client.dispatchTrigger(request(overrides)).catch((e: unknown) => ConnectError.from(e));
    expect(error).toBeInstanceOf(ConnectError);
    expect(error).toMatchObject({ code: Code.InvalidArgument, rawMessage: message });
    expect(received).toHaveLength(0);
  });
});
