// The baseline's upstream: the least a Node HTTP server can do for a webhook, read the body and answer 200 JSON
// shaped like BDK's answer. Runs in its own process, as the router does.
import { randomUUID } from 'node:crypto';
import http from 'node:http';

export function createBaselineServer(): http.Server {
  return http.createServer((request, response) => {
    let bytes = 0;
    request.on('data', (chunk: Buffer) => (bytes += chunk.length));
    request.on('end', () => {
      const body = JSON.stringify({ webhook_id: randomUUID(), processed: true, received_bytes: bytes });
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    });
  });
}
