import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort } from '@bdk/testing';
import { BookUnreachable, createBookPoster } from './book-poster.js';

// A real book on loopback: answers by path, and records each request's body and the socket it came on.
const seen: { path: string; body: string; socket: string }[] = [];
let server: http.Server;
let base: string;
const poster = createBookPoster();

beforeAll(async () => {
  server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      seen.push({ path: request.url ?? '', body: Buffer.concat(chunks).toString('utf8'), socket: `${request.socket.remotePort}` });
      if (request.url === '/busy') response.writeHead(503, { 'retry-after': '30' }).end('busy');
      else if (request.url === '/hang') return; // never answers
      else response.writeHead(202).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  poster.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('createBookPoster', () => {
  it('posts the exact bytes and reuses one connection for the next trigger', async () => {
    seen.length = 0;
    const body = new TextEncoder().encode('{"ticket": 1, "é": true}');
    expect(await poster.post(new URL(`${base}/webhooks/zendesk`), { 'content-type': 'application/json' }, body, { timeoutMs: 2_000 })).toEqual({ status: 202, retryAfter: null });
    await poster.post(new URL(`${base}/webhooks/zendesk`), {}, body, { timeoutMs: 2_000 });
    expect(seen.map((s) => [s.path, s.body])).toEqual([
      ['/webhooks/zendesk', '{"ticket": 1, "é": true}'],
      ['/webhooks/zendesk', '{"ticket": 1, "é": true}'],
    ]);
    expect(seen[0]?.socket).toBe(seen[1]?.socket);
  });

  it('passes on the status and Retry-After of a refusal', async () => {
    expect(await poster.post(new URL(`${base}/busy`), {}, new Uint8Array(), { timeoutMs: 2_000 })).toEqual({ status: 503, retryAfter: '30' });
  });

  it('gives up on a book that does not answer in time', async () => {
    const failure = poster.post(new URL(`${base}/hang`), {}, new Uint8Array(), { timeoutMs: 200 });
    await expect(failure).rejects.toBeInstanceOf(BookUnreachable);
    await expect(failure).rejects.toMatchObject({ timedOut: true, message: 'no answer within 200 ms' });
  });

  it('names the connection error of a book that is not listening', async () => {
    const port = await freePort();
    await expect(poster.post(new URL(`http://127.0.0.1:${port}/`), {}, new Uint8Array(), { timeoutMs: 2_000 })).rejects.toMatchObject({
      timedOut: false,
      message: expect.stringContaining('ECONNREFUSED') as unknown,
    });
  });

  it('stops when the caller cancels', async () => {
    const controller = new AbortController();
    const failure = poster.post(new URL(`${base}/hang`), {}, new Uint8Array(), { timeoutMs: 5_000, signal: controller.signal });
    controller.abort();
    await expect(failure).rejects.toMatchObject({ message: 'the call was cancelled' });
  });
});
