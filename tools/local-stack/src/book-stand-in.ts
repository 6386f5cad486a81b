import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface BookStandIn {
  /** BDK_BOOK_URL_TEMPLATE that sends every book's triggers here, under /<namespace>/<service>. */
  readonly urlTemplate: string;
  close(): Promise<void>;
}

/**
 * What answers a trigger where a cluster would run the book's pod: an HTTP server on loopback that accepts every
 * POST and prints what arrived. The controller's BDK_BOOK_URL_TEMPLATE points here, one path per book.
 */
export async function startBookStandIn(port: number, log: (line: string) => void): Promise<BookStandIn> {
  const server = http.createServer((request, response) => {
    let bytes = 0;
    request.on('data', (chunk: Buffer) => (bytes += chunk.length));
    request.on('end', () => {
      const event = request.headers['x-bdk-event'] ?? request.headers['x-bdk-webhook-event'] ?? '';
      log(`book stand-in: ${request.method} ${request.url} ${request.headers['content-type'] ?? ''} ${bytes} bytes ${event}`.trimEnd());
      response.writeHead(202, { 'content-type': 'application/json' }).end('{"accepted":true}');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    urlTemplate: `http://127.0.0.1:${bound}/{namespace}/{service}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
