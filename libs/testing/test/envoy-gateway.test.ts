// The real Envoy with envoy/gateway.yaml: each REST prefix reaches the sidecar that serves it, bodies and headers
// pass through unchanged, and what the gateway answers itself (no route, a sidecar down) is JSON.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort, startEnvoy, type RunningEnvoy } from '../src/index.js';

interface Seen {
  upstream: string;
  method: string;
  url: string;
  body: string;
  signature: string | undefined;
}

const seen: Seen[] = [];
const servers: http.Server[] = [];
let envoy: RunningEnvoy | undefined;

async function recordingServer(upstream: string): Promise<number> {
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const signature = request.headers['x-hub-signature-256'];
      seen.push({
        upstream,
        method: request.method ?? '',
        url: request.url ?? '',
        body: Buffer.concat(chunks).toString('utf8'),
        signature: typeof signature === 'string' ? signature : undefined,
      });
      response.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ upstream }));
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

beforeAll(async () => {
  envoy = await startEnvoy({
    config: 'envoy/gateway.yaml',
    upstreams: { library_service: await recordingServer('library'), webhook_router: await freePort() },
  });
});

afterAll(async () => {
  await envoy?.stop();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

function gateway(): string {
  if (!envoy) throw new Error('envoy did not start');
  return envoy.url;
}

describe('envoy/gateway.yaml', () => {
  it('sends /api/v1/books and everything under it to the library-service sidecar, unchanged', async () => {
    const body = '{"name":"customer-support","version":"1.0.0"}';
    const created = await fetch(`${gateway()}/api/v1/books`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(created.status).toBe(201);
    expect(await created.json()).toEqual({ upstream: 'library' });
    expect((await fetch(`${gateway()}/api/v1/books/b-1/instances?page_size=2`)).status).toBe(201);
    expect(seen.slice(-2)).toEqual([
      { upstream: 'library', method: 'POST', url: '/api/v1/books', body, signature: undefined },
      { upstream: 'library', method: 'GET', url: '/api/v1/books/b-1/instances?page_size=2', body: '', signature: undefined },
    ]);
  });

  it('answers an unknown path with a JSON 404 and does not forward it', async () => {
    const before = seen.length;
    for (const unknown of ['/api/v1/booksx', '/api/v2/books', '/']) {
      const response = await fetch(`${gateway()}${unknown}`);
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(await response.json()).toEqual({ code: 5, message: `no BDK API at ${unknown}` });
    }
    expect(seen).toHaveLength(before);
  });

  it('answers 503 JSON when the webhook-router sidecar is down', async () => {
    const response = await fetch(`${gateway()}/api/v1/webhooks/github`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(503);
    const status = (await response.json()) as { code: number; message: string };
    expect(status.code).toBe(14);
    expect(status.message).not.toBe('');
  });
});
