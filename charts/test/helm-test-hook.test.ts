// library-service's `helm test` Pod: a hook (never part of the install), in the app's image, asking the Service's
// REST port for GET /api/v1/books without a token. Its script is run here, on the pinned Node, against a real HTTP
// server on loopback standing in for the Service: 401 (the API is up and refuses an unauthenticated caller) passes;
// anything else fails, 200 (an open API) included.
import type { V1Deployment, V1Pod, V1Service } from '@kubernetes/client-node';
import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort } from '@bdk/testing';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { assertGenerated, render, type Rendered } from './helm.js';

let rendered: Rendered;
let server: Server | undefined;

beforeAll(async () => {
  assertGenerated();
  rendered = await render('library-service', { release: 'bdk', namespace: 'bdk' });
});

afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

function hookPod(): V1Pod {
  return rendered.one<V1Pod>('Pod', 'bdk-library-service-test-rest-api');
}

/** Serves `status` for every request; resolves with the port, the paths asked for and their authorization headers. */
async function serve(status: number): Promise<{ port: number; paths: string[]; authorization: (string | undefined)[] }> {
  const paths: string[] = [];
  const authorization: (string | undefined)[] = [];
  const port = await freePort();
  server = createServer((request, response) => {
    paths.push(request.url ?? '');
    authorization.push(request.headers.authorization);
    response.writeHead(status, { 'content-type': 'application/json' }).end('{"books":[]}');
  });
  await new Promise<void>((resolve) => server?.listen(port, '127.0.0.1', resolve));
  return { port, paths, authorization };
}

/** Runs the Pod's command with its URL pointed at loopback; resolves with the exit code. */
async function runHook(port: number): Promise<number> {
  const [command, ...args] = hookPod().spec?.containers[0]?.command ?? [];
  expect(command).toBe('node');
  const url = new URL(args.at(-1) ?? '');
  const local = `http://127.0.0.1:${port}${url.pathname}`;
  return new Promise((resolve) => {
    execFile(process.execPath, [...args.slice(0, -1), local], { timeout: 20_000 }, (error) => resolve(error ? Number(error.code ?? 1) : 0));
  });
}

describe('library-service helm test hook', () => {
  it('is a test hook Pod that runs the app image against the Service http port', () => {
    const pod = hookPod();
    expect(pod.metadata?.annotations?.['helm.sh/hook']).toBe('test');
    const container = pod.spec?.containers[0];
    const app = rendered.one<V1Deployment>('Deployment').spec?.template.spec?.containers.find((c) => c.name === 'library-service');
    expect(container?.image).toBe(app?.image);
    const service = rendered.one<V1Service>('Service');
    const http = service.spec?.ports?.find((p) => p.name === 'http')?.port;
    expect(container?.command?.at(-1)).toBe(`http://${service.metadata.name}:${http}/api/v1/books`);
    expect(container?.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
  });

  it('passes when the REST API refuses the unauthenticated call with 401', async () => {
    const { port, paths, authorization } = await serve(401);
    expect(await runHook(port)).toBe(0);
    expect(paths).toEqual(['/api/v1/books']);
    expect(authorization).toEqual([undefined]);
  });

  it('fails when the API answers without authentication (200)', async () => {
    const { port } = await serve(200);
    expect(await runHook(port)).toBe(1);
  });

  it('fails when the API is not serving (503)', async () => {
    const { port } = await serve(503);
    expect(await runHook(port)).toBe(1);
  });
});
