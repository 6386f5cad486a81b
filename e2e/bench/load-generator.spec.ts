import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPoster, type Poster } from './http-poster.js';
import { closedLoop, openLoop, peakRate } from './load-generator.js';

// A real server on loopback that answers after `delayMs`, 503 for bodies saying "refuse".
const delayMs = 20;
let server: http.Server;
let url = '';
let received = 0;
let inFlight = 0;
let mostInFlight = 0;

beforeAll(async () => {
  server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    inFlight += 1;
    mostInFlight = Math.max(mostInFlight, inFlight);
    request.on('end', () => {
      received += 1;
      const status = Buffer.concat(chunks).toString() === 'refuse' ? 503 : 200;
      setTimeout(() => {
        inFlight -= 1;
        response.writeHead(status, { 'content-type': 'application/json' }).end('{"webhook_id":"w"}');
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function withPoster<T>(maxSockets: number, run: (poster: Poster) => Promise<T>): Promise<T> {
  const poster = createPoster(url, maxSockets);
  return run(poster).finally(() => poster.close());
}

describe('closedLoop', () => {
  it('keeps N requests in flight for the duration, and no more', async () => {
    const before = received;
    mostInFlight = 0;
    const answers: number[] = [];
    const result = await withPoster(4, (poster) =>
      closedLoop({ poster, next: () => ({ headers: {}, body: Buffer.from('ok') }), onAnswer: (answer) => answers.push(answer.status), concurrency: 4, durationMs: 1_000 }),
    );
    expect(result.sent).toBe(received - before);
    expect(result.ok).toBe(result.sent);
    expect(answers).toHaveLength(result.sent);
    expect(mostInFlight).toBe(4);
    // 4 senders, each answer at least 20 ms: at most 200 a second.
    expect(result.okInWindow).toBeGreaterThan(4);
    expect(peakRate(result)).toBeLessThanOrEqual(200);
    expect(Math.min(...result.latenciesMs)).toBeGreaterThanOrEqual(delayMs - 1);
  });

  it('counts non-2xx answers as refused, by status, not as accepted', async () => {
    const result = await withPoster(2, (poster) => closedLoop({ poster, next: () => ({ headers: {}, body: Buffer.from('refuse') }), concurrency: 2, durationMs: 200 }));
    expect(result.ok).toBe(0);
    expect(result.refused.get(503)).toBe(result.sent);
    expect(result.latenciesMs).toEqual([]);
  });
});

describe('openLoop', () => {
  it('sends on the schedule whatever the answers, and counts latency from when each request was due', async () => {
    const before = received;
    const result = await withPoster(64, (poster) => openLoop({ poster, next: () => ({ headers: {}, body: Buffer.from('ok') }), ratePerSecond: 100, durationMs: 500, maxOutstanding: 64 }));
    expect(result.sent).toBe(50);
    expect(received - before).toBe(50);
    expect(result.ok).toBe(50);
    expect(result.notSent).toBe(0);
    expect(Math.min(...result.latenciesMs)).toBeGreaterThanOrEqual(delayMs - 1);
  });

  it('does not queue without bound: a request due while too many are outstanding is not sent', async () => {
    const result = await withPoster(2, (poster) => openLoop({ poster, next: () => ({ headers: {}, body: Buffer.from('ok') }), ratePerSecond: 1_000, durationMs: 100, maxOutstanding: 2 }));
    expect(result.notSent).toBeGreaterThan(0);
    expect(result.sent + result.notSent).toBe(100);
  });
});
