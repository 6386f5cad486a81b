// The external systems BDK talks to, as real servers on loopback: a book's HTTP endpoint (where the controller
// posts triggers) and the Model Manager (where the library-service gets a book's prompts).
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import type { ConnectRouter } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { modelmanager } from '@bdk/proto';

export interface ReceivedRequest {
  method: string;
  url: string;
  contentType: string | undefined;
  body: Buffer;
  /** What the endpoint answered. */
  status: number;
}

export interface BookEndpoint {
  readonly port: number;
  /** Every request, in arrival order. */
  readonly requests: ReceivedRequest[];
  /** The status it answers with from now on: 202 until a test sets another (503 for a book that is down). */
  status: number;
  close(): Promise<void>;
}

/** A book's HTTP endpoint: records every request and answers 202, or the status the test set. */
export async function startBookEndpoint(): Promise<BookEndpoint> {
  const requests: ReceivedRequest[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const { status } = endpoint;
      requests.push({ method: request.method ?? '', url: request.url ?? '', contentType: request.headers['content-type'], body: Buffer.concat(chunks), status });
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint: BookEndpoint = {
    port: (server.address() as AddressInfo).port,
    requests,
    status: 202,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  return endpoint;
}

type PromptInit = MessageInitShape<typeof modelmanager.PromptDefinitionSchema>;

/** The prompts the spec's customer-support book gets from the Model Manager in the tests. */
export const specBookPrompts: Record<string, PromptInit[]> = {
  'customer-support': [{ name: 'triage', version: '3', template: 'Classify the ticket: {{subject}}', model: 'gpt-4o' }],
};

export interface ModelManager {
  /** http://<host>:<port> (127.0.0.1 unless told another host), for BDK_MODEL_MANAGER_URL. */
  readonly url: string;
  close(): Promise<void>;
}

/** The Model Manager: a real gRPC server answering each book name's prompts (none for other books), on `host` (a host address Pods reach, for a real Node). */
export async function startModelManager(promptsByBook: Record<string, PromptInit[]> = specBookPrompts, options: { host?: string } = {}): Promise<ModelManager> {
  const host = options.host ?? '127.0.0.1';
  const routes = (router: ConnectRouter) =>
    router.service(modelmanager.PromptService, {
      getBookPrompts: (request) => create(modelmanager.GetBookPromptsResponseSchema, { prompts: promptsByBook[request.bookName] ?? [] }),
    });
  const server = http2.createServer(connectNodeAdapter({ routes }));
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    url: `http://${host}:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
