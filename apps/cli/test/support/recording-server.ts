// A loopback HTTP server for the CLI's specs: answers each request with the next scripted answer for its route and
// records what arrived (method, path, headers, exact body bytes).
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path and query. */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface ScriptedAnswer {
  status?: number;
  json?: unknown;
}

export interface RecordingServer {
  url: string;
  requests: RecordedRequest[];
  /** Answers for "METHOD /path" (query excluded), used in order; the last one repeats. */
  answer: (route: string, ...answers: ScriptedAnswer[]) => void;
  close: () => Promise<void>;
}

export async function startRecordingServer(): Promise<RecordingServer> {
  const requests: RecordedRequest[] = [];
  const scripts = new Map<string, ScriptedAnswer[]>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = request.url ?? '/';
      requests.push({ method: request.method ?? '', url, headers: request.headers, body: Buffer.concat(chunks) });
      const script = scripts.get(`${request.method} ${url.split('?')[0]}`) ?? [];
      const next = (script.length > 1 ? script.shift() : script[0]) ?? { status: 404, json: { code: 5, message: `no answer scripted for ${request.method} ${url}` } };
      response.writeHead(next.status ?? 200, { 'content-type': 'application/json' });
      response.end(next.json === undefined ? '' : JSON.stringify(next.json));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    answer: (route, ...answers) => scripts.set(route, answers),
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
