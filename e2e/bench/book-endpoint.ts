// The book the benchmark's instance delivers to: counts the triggers it receives by their X-BDK-Webhook-Id (the
// router's stable delivery id) and answers 202 at once. Runs in its own process, as a book does; the benchmark
// reads what arrived from GET /received.
import http from 'node:http';

export interface Receipts {
  /** Triggers received, duplicates included. */
  total: number;
  /** Distinct webhook ids. */
  unique: number;
  /** Triggers whose webhook id had already arrived. */
  duplicates: number;
  /** Triggers without an X-BDK-Webhook-Id header. */
  withoutId: number;
  /** The distinct ids, when asked for (`?ids=1`). */
  ids?: string[];
}

export function createBookEndpoint(): http.Server {
  const seen = new Set<string>();
  let total = 0;
  let duplicates = 0;
  let withoutId = 0;
  return http.createServer((request, response) => {
    if (request.method === 'GET' && request.url?.startsWith('/received')) {
      const receipts: Receipts = { total, unique: seen.size, duplicates, withoutId, ...(request.url.includes('ids=1') ? { ids: [...seen] } : {}) };
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(receipts));
      return;
    }
    request.resume();
    request.on('end', () => {
      total += 1;
      const id = request.headers['x-bdk-webhook-id'];
      if (typeof id !== 'string' || id === '') withoutId += 1;
      else if (seen.has(id)) duplicates += 1;
      else seen.add(id);
      response.writeHead(202).end();
    });
  });
}

/** What the book endpoint on `port` has received so far. */
export async function readReceipts(port: number, withIds = false): Promise<Receipts> {
  const response = await fetch(`http://127.0.0.1:${port}/received${withIds ? '?ids=1' : ''}`);
  if (!response.ok) throw new Error(`the book endpoint answered ${response.status}`);
  return (await response.json()) as Receipts;
}
