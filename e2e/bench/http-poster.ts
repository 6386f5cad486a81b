// One load generator connection pool: POSTs over keep-alive HTTP/1.1 connections (node:http with an Agent), as a
// webhook sender's HTTP client would, reading each answer to the end.
import http from 'node:http';

export interface HttpAnswer {
  status: number;
  body: string;
}

export interface Poster {
  post(headers: Record<string, string>, body: Buffer): Promise<HttpAnswer>;
  /** Closes the pooled connections. */
  close(): void;
}

/** Posts to `url` over at most `maxSockets` connections; a request without an answer in `timeoutMs` fails. */
export function createPoster(url: string, maxSockets: number, timeoutMs = 30_000): Poster {
  const target = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  return {
    post(headers, body) {
      return new Promise<HttpAnswer>((resolve, reject) => {
        const request = http.request(
          {
            agent,
            method: 'POST',
            host: target.hostname,
            port: target.port,
            path: `${target.pathname}${target.search}`,
            headers: { ...headers, 'content-length': String(body.length) },
          },
          (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
            response.on('error', reject);
          },
        );
        request.setTimeout(timeoutMs, () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
        request.on('error', reject);
        request.end(body);
      });
    },
    close: () => agent.destroy(),
  };
}
