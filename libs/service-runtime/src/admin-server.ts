import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { ServingStatus, type HealthRegistry } from './health.js';
import type { Logger } from './logger.js';

export interface AdminServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Plain HTTP for the platform around the service: Prometheus scrapes /metrics; kubelet probes /healthz
 * (liveness: the process answers) and /readyz (readiness: the gRPC server reports SERVING, false from the
 * first moment of a graceful shutdown, so traffic drains before the process stops).
 */
export async function startAdminServer(options: {
  host: string;
  port: number;
  registry: Registry;
  health: HealthRegistry;
  logger: Logger;
}): Promise<AdminServer> {
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://admin');
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (url.pathname === '/metrics') {
      options.registry.metrics().then(
        (text) => response.writeHead(200, { 'content-type': options.registry.contentType }).end(text),
        (error: unknown) => {
          options.logger.error('metrics collection failed', { error });
          response.writeHead(500).end();
        },
      );
    } else if (url.pathname === '/healthz') {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (url.pathname === '/readyz') {
      const ready = options.health.status('') === ServingStatus.SERVING;
      response.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(ready ? 'ok\n' : 'not serving\n');
    } else {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  options.logger.info('admin server listening', { host: options.host, port, paths: ['/metrics', '/healthz', '/readyz'] });
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
