// grpc.reflection.v1 over a real HTTP/2 bidi stream: a client that knows nothing of BDK lists the services,
// fetches a service's file with its imports, and can build a working descriptor pool from the answer alone.
import { create, createFileRegistry, fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import { Code, createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BookControllerService, reflection } from '@bdk/proto';
import { createLogger, startGrpcServer, type GrpcServer } from '../src/index.js';

let server: GrpcServer;
let client: ReturnType<typeof createClient<typeof reflection.ServerReflection>>;

beforeAll(async () => {
  server = await startGrpcServer({
    port: 0,
    host: '127.0.0.1',
    logger: createLogger('test', { write: () => undefined }),
    routes: (router) => router.service(BookControllerService, { dispatchTrigger: () => ({ results: [] }) }),
  });
  client = createClient(reflection.ServerReflection, createGrpcTransport({ baseUrl: `http://127.0.0.1:${server.port}` }));
});

afterAll(async () => {
  await server?.close();
});

type Ask = reflection.ServerReflectionRequest['messageRequest'];

/** Sends the questions on one stream and collects the answers in order. */
async function ask(...questions: Ask[]) {
  async function* requests() {
    for (const messageRequest of questions) yield create(reflection.ServerReflectionRequestSchema, { messageRequest });
  }
  const answers: reflection.ServerReflectionResponse['messageResponse'][] = [];
  for await (const response of client.serverReflectionInfo(requests())) answers.push(response.messageResponse);
  return answers;
}

describe('grpc.reflection.v1', () => {
  it('lists every service the server serves', async () => {
    const [answer] = await ask({ case: 'listServices', value: '' });
    expect(answer?.case).toBe('listServicesResponse');
    const names = answer?.case === 'listServicesResponse' ? answer.value.service.map((s) => s.name) : [];
    expect(names.sort()).toEqual(['bdk.v1.BookControllerService', 'grpc.health.v1.Health', 'grpc.reflection.v1.ServerReflection']);
  });

  it('answers a symbol with its file and every import, enough to build a descriptor pool', async () => {
    const [answer] = await ask({ case: 'fileContainingSymbol', value: 'bdk.v1.BookControllerService.DispatchTrigger' });
    if (answer?.case !== 'fileDescriptorResponse') throw new Error(`unexpected answer ${answer?.case}`);
    const files = answer.value.fileDescriptorProto.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes));
    // As grpc-go does it: the file asked for first, then everything it imports.
    expect(files[0]?.name).toBe('bdk/v1/controller_service.proto');
    expect(files.map((f) => f.name)).toContain('google/api/field_behavior.proto');
    const byName = new Map(files.map((f) => [f.name, f]));
    const pool = createFileRegistry(files[0] ?? create(FileDescriptorProtoSchema), (name) => byName.get(name));
    const service = pool.getService('bdk.v1.BookControllerService');
    expect(service?.methods.map((m) => `${m.name}(${m.input.typeName}) -> ${m.output.typeName}`)).toEqual([
      'DispatchTrigger(bdk.v1.DispatchTriggerRequest) -> bdk.v1.DispatchTriggerResponse',
      'DispatchTriggers(bdk.v1.DispatchTriggersRequest) -> bdk.v1.DispatchTriggersResponse',
      'ListWebhookSubscribers(bdk.v1.ListWebhookSubscribersRequest) -> bdk.v1.ListWebhookSubscribersResponse',
      'StoreInstanceSecrets(bdk.v1.StoreInstanceSecretsRequest) -> bdk.v1.StoreInstanceSecretsResponse',
    ]);
  });

  it('answers several questions on one stream, and NOT_FOUND for what it does not know', async () => {
    const answers = await ask({ case: 'fileByFilename', value: 'bdk/v1/controller_service.proto' }, { case: 'fileContainingSymbol', value: 'bdk.v1.Nope' });
    expect(answers.map((a) => a?.case)).toEqual(['fileDescriptorResponse', 'errorResponse']);
    expect(answers[1]?.case === 'errorResponse' && answers[1].value.errorCode).toBe(Code.NotFound);
  });
});
