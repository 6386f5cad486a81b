// Each app's `helm test` Pod: a hook (never part of the install), in the app's image, asking the app's Service what
// only a working, authenticating install answers. Its script is run here, on the pinned Node, against real servers on
// loopback standing in for the Service:
//  - library-service and webhook-router: GET of a REST route (/api/v1/books, /api/v1/webhooks/deliveries) without a
//    token; 401 (the API is up and refuses an unauthenticated caller) passes, anything else fails, 200 (an open API)
//    included;
//  - book-controller: GET /readyz on the admin port must be 200, and a gRPC DispatchTrigger without a token (a real
//    HTTP/2 server answering with grpc-status trailers) must be refused UNAUTHENTICATED (16); status 0 (an internal
//    API open to any pod) fails, and so does a controller that is not ready.
import type { V1Deployment, V1Pod, V1Service } from '@kubernetes/client-node';
import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort } from '@bdk/testing';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { createServer as createHttp2Server, type Http2Server } from 'node:http2';
import { assertGenerated, render, type AppChart, type Rendered } from './helm.js';

let servers: (Server | Http2Server)[] = [];

beforeAll(() => assertGenerated());

afterEach(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  servers = [];
});

/** Serves `status` for every request; resolves with the port, the paths asked for and their authorization headers. */
async function serve(status: number): Promise<{ port: number; paths: string[]; authorization: (string | undefined)[] }> {
  const paths: string[] = [];
  const authorization: (string | undefined)[] = [];
  const port = await freePort();
  const server = createServer((request, response) => {
    paths.push(request.url ?? '');
    authorization.push(request.headers.authorization);
    response.writeHead(status, { 'content-type': 'application/json' }).end('{}');
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { port, paths, authorization };
}

/** A cleartext HTTP/2 server answering every gRPC call with `grpcStatus` in its trailers; records the paths and authorization headers. */
async function serveGrpc(grpcStatus: number): Promise<{ port: number; paths: string[]; authorization: (string | undefined)[] }> {
  const paths: string[] = [];
  const authorization: (string | undefined)[] = [];
  const port = await freePort();
  const server = createHttp2Server();
  server.on('stream', (stream, headers) => {
    paths.push(String(headers[':path']));
    authorization.push(headers.authorization);
    stream.resume();
    stream.on('end', () => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': String(grpcStatus), 'grpc-message': 'stand-in' }));
      stream.end();
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { port, paths, authorization };
}

/** Runs the Pod's command with each URL argument pointed at loopback, port for port; resolves with the exit code. */
async function runHook(pod: V1Pod, ports: number[]): Promise<number> {
  const [command, ...args] = pod.spec?.containers[0]?.command ?? [];
  expect(command).toBe('node');
  const urls = args.slice(-ports.length).map((arg, i) => {
    const url = new URL(arg);
    return `http://127.0.0.1:${ports[i]}${url.pathname === '/' ? '' : url.pathname}`;
  });
  return new Promise((resolve) => {
    execFile(process.execPath, [...args.slice(0, -ports.length), ...urls], { timeout: 30_000 }, (error) => resolve(error ? Number(error.code ?? 1) : 0));
  });
}

function expectHookPod(rendered: Rendered, app: AppChart, name: string): V1Pod {
  const pod = rendered.one<V1Pod>('Pod', `bdk-${app}-test-${name}`);
  expect(pod.metadata?.annotations?.['helm.sh/hook']).toBe('test');
  expect(pod.spec?.automountServiceAccountToken).toBe(false);
  const container = pod.spec?.containers[0];
  const image = rendered.one<V1Deployment>('Deployment').spec?.template.spec?.containers.find((c) => c.name === app)?.image;
  expect(container?.image).toBe(image);
  expect(container?.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
  return pod;
}

describe.each([
  ['library-service', '/api/v1/books'],
  ['webhook-router', '/api/v1/webhooks/deliveries'],
] as const)('%s helm test hook', (app, route) => {
  let rendered: Rendered;

  beforeAll(async () => {
    rendered = await render(app, { release: 'bdk', namespace: 'bdk' });
  });

  const hookPod = () => rendered.one<V1Pod>('Pod', `bdk-${app}-test-rest-api`);

  it('is a test hook Pod that runs the app image against the Service http port', () => {
    const container = expectHookPod(rendered, app, 'rest-api').spec?.containers[0];
    const service = rendered.one<V1Service>('Service');
    const http = service.spec?.ports?.find((p) => p.name === 'http')?.port;
    expect(container?.command?.at(-1)).toBe(`http://${service.metadata.name}:${http}${route}`);
  });

  it('passes when the REST API refuses the unauthenticated call with 401', async () => {
    const { port, paths, authorization } = await serve(401);
    expect(await runHook(hookPod(), [port])).toBe(0);
    expect(paths).toEqual([route]);
    expect(authorization).toEqual([undefined]);
  });

  it('fails when the API answers without authentication (200)', async () => {
    const { port } = await serve(200);
    expect(await runHook(hookPod(), [port])).toBe(1);
  });

  it('fails when the API is not serving (503)', async () => {
    const { port } = await serve(503);
    expect(await runHook(hookPod(), [port])).toBe(1);
  });
});

describe('book-controller helm test hook', () => {
  let rendered: Rendered;

  beforeAll(async () => {
    rendered = await render('book-controller', { release: 'bdk', namespace: 'bdk' });
  });

  const hookPod = () => rendered.one<V1Pod>('Pod', 'bdk-book-controller-test-internal-api');

  it('is a test hook Pod that runs the app image against the Service metrics and grpc ports', () => {
    const container = expectHookPod(rendered, 'book-controller', 'internal-api').spec?.containers[0];
    const service = rendered.one<V1Service>('Service');
    const port = (name: string) => service.spec?.ports?.find((p) => p.name === name)?.port;
    expect(container?.command?.slice(-2)).toEqual([`http://${service.metadata.name}:${port('metrics')}/readyz`, `http://${service.metadata.name}:${port('grpc')}`]);
  });

  it('passes when the controller is ready and refuses a call without a token as UNAUTHENTICATED', async () => {
    const ready = await serve(200);
    const grpc = await serveGrpc(16);
    expect(await runHook(hookPod(), [ready.port, grpc.port])).toBe(0);
    expect(ready.paths).toEqual(['/readyz']);
    expect(grpc.paths).toEqual(['/bdk.v1.BookControllerService/DispatchTrigger']);
    expect(grpc.authorization).toEqual([undefined]);
  });

  it('fails when the internal API accepts the call without a token (grpc-status 0)', async () => {
    const ready = await serve(200);
    const grpc = await serveGrpc(0);
    expect(await runHook(hookPod(), [ready.port, grpc.port])).toBe(1);
  });

  it('fails when the controller is not ready (503)', async () => {
    const ready = await serve(503);
    const grpc = await serveGrpc(16);
    expect(await runHook(hookPod(), [ready.port, grpc.port])).toBe(1);
  });
});
