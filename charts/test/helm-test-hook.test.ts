// library-service's `helm test` Pod: a hook (never part of the install), in the app's image, asking the Service's
// REST port for GET /api/v1/books. Its script is run here, on the pinned Node, against a real HTTP server on
// loopback standing in for the Service: 200 passes, anything else fails.
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

/** Serves `status` for every request; resolves with the port and the paths asked for. */
async function serve(status: number): Promise<{ port: number; paths: string[] }> {
  const paths: string[] = [];
  const port = await freePort();
  server = createServer((request, response) => {
    paths.push(request.url ?? '');
    response.writeHead(status, { 'content-type': 'application/json' }).end('{"books":[]}');
  });
  await new Promise<void>((resolve) => server?.listen(port, '127.0.0.1', resolve));
  return { port, paths };
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

  it('passes when the REST API answers 200', async () => {
    const { port, paths } = await serve(200);
    expect(await runHook(port)).toBe(0);
    expect(paths).toEqual(['/api/v1/books']);
  });

  it('fails when it does not', async () => {
    const { port } = await serve(503);
    expect(await runHook(port)).toBe(1);
  });
});
