// The shared gRPC server on a real loopback port, called by @grpc/grpc-js (the reference gRPC client that
// other teams' services use): health, a BDK service, and a graceful stop that lets in-flight calls finish.
import { create, fromBinary, toBinary, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  BookControllerService,
  DispatchTriggerRequestSchema,
  DispatchTriggerResponseSchema,
  health,
} from '@bdk/proto';
import { createLogger, startGrpcServer, type GrpcServer } from '../src/index.js';

const logger = createLogger('test', { write: () => undefined });
let server: GrpcServer | undefined;
let client: grpc.Client | undefined;

afterEach(async () => {
  client?.close();
  await server?.close();
  client = server = undefined;
});

function unary<I extends DescMessage, O extends DescMessage>(path: string, input: I, output: O, request: MessageShape<I>) {
  return new Promise<MessageShape<O>>((resolve, reject) => {
    client?.makeUnaryRequest(
      path,
      (message: MessageShape<I>) => Buffer.from(toBinary(input, message)),
      (bytes: Buffer) => fromBinary(output, bytes),
      request,
      (error, response) => (error || !response ? reject(error ?? new Error('no response')) : resolve(response)),
    );
  });
}

async function start(delayMs = 0, startServing = true) {
  server = await startGrpcServer({
    port: 0,
    host: '127.0.0.1',
    logger,
    shutdownGraceMs: 5_000,
    startServing,
    routes(router) {
      router.service(BookControllerService, {
        async dispatchTrigger(request) {
          await new Promise((resolve) => setTimeout(resolve, delayMs));
          return { results: request.targets.map((target) => ({ target, delivered: true })) };
        },
      });
    },
  });
  client = new grpc.Client(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
  return server;
}

const check = (service: string) =>
  unary('/grpc.health.v1.Health/Check', health.HealthCheckRequestSchema, health.HealthCheckResponseSchema, create(health.HealthCheckRequestSchema, { service }));

describe('startGrpcServer', () => {
  it('can listen NOT_SERVING until the service says it is warmed up', async () => {
    const warming = await start(0, false);
    const { SERVING, NOT_SERVING } = health.HealthCheckResponse_ServingStatus;
    expect((await check('')).status).toBe(NOT_SERVING);
    expect((await check('bdk.v1.BookControllerService')).status).toBe(NOT_SERVING);
    warming.health.serveAll();
    expect((await check('')).status).toBe(SERVING);
    expect((await check('bdk.v1.BookControllerService')).status).toBe(SERVING);
  });

  it('reports the server and each registered service SERVING to a grpc-js client', async () => {
    await start();
    expect((await check('')).status).toBe(health.HealthCheckResponse_ServingStatus.SERVING);
    expect((await check('bdk.v1.BookControllerService')).status).toBe(health.HealthCheckResponse_ServingStatus.SERVING);
    await expect(check('bdk.v1.Unknown')).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
  });

  it('serves BDK services to a grpc-js client', async () => {
    await start();
    const response = await unary(
      '/bdk.v1.BookControllerService/DispatchTrigger',
      DispatchTriggerRequestSchema,
      DispatchTriggerResponseSchema,
      create(DispatchTriggerRequestSchema, { webhookId: 'w-1', source: 'github', targets: [{ namespace: 'bdk', name: 'acme' }] }),
    );
    expect(response.results).toHaveLength(1);
    expect(response.results[0]?.target?.name).toBe('acme');
  });

  it('lets an in-flight call finish on close, then refuses new connections', async () => {
    const running = await start(500);
    const inFlight = unary(
      '/bdk.v1.BookControllerService/DispatchTrigger',
      DispatchTriggerRequestSchema,
      DispatchTriggerResponseSchema,
      create(DispatchTriggerRequestSchema, { webhookId: 'w-2', source: 'github', targets: [{ namespace: 'bdk', name: 'late' }] }),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closed = running.close();
    expect(running.health.status('')).toBe(health.HealthCheckResponse_ServingStatus.NOT_SERVING);
    expect((await inFlight).results[0]?.target?.name).toBe('late');
    await closed;

    const late = new grpc.Client(`127.0.0.1:${running.port}`, grpc.credentials.createInsecure());
    const deadline = new Date(Date.now() + 1_000);
    await expect(new Promise((resolve, reject) => late.waitForReady(deadline, (error) => (error ? reject(error) : resolve(true))))).rejects.toThrow();
    late.close();
    server = undefined;
  });
});
