import type { ConnectRouter, Interceptor } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { reflection } from '@bdk/proto';
import { HealthRegistry, ServingStatus } from './health.js';
import { reflectionService } from './reflection.js';
import type { Logger } from './logger.js';

export interface GrpcServerOptions {
  /** 0 picks a free port. */
  port: number;
  /** 0.0.0.0 in a pod; 127.0.0.1 in the local stack and tests. */
  host: string;
  logger: Logger;
  /** Registers the app's services; their names are reported SERVING by the health service. */
  routes: (router: ConnectRouter) => void;
  /** Run around every RPC, outermost first (metrics, for one). */
  interceptors?: Interceptor[];
  /** How long in-flight calls may take to finish on close() before their connections are cut. */
  shutdownGraceMs?: number;
  /**
   * false: listen NOT_SERVING (health and /readyz) until `health.serveAll()`, for a service that must warm up
   * (fill caches) first. Default true.
   */
  startServing?: boolean;
}

export interface GrpcServer {
  readonly port: number;
  readonly health: HealthRegistry;
  /** Graceful stop: health NOT_SERVING, no new connections, in-flight calls finish (up to the grace period). */
  close(): Promise<void>;
}

/**
 * An h2c server speaking gRPC (for @grpc/grpc-js clients and Envoy), gRPC-Web and Connect, with
 * grpc.health.v1 for every registered service and grpc.reflection.v1 for all of them.
 */
export async function startGrpcServer(options: GrpcServerOptions): Promise<GrpcServer> {
  const health = new HealthRegistry();
  let services: string[] = [];
  const handler = connectNodeAdapter({
    interceptors: options.interceptors ?? [],
    routes(router) {
      options.routes(router);
      services = [...new Set(router.handlers.map((h) => h.service.typeName))];
      health.register(router);
      const described = [...new Set(router.handlers.map((h) => h.service)), reflection.ServerReflection];
      router.service(reflection.ServerReflection, reflectionService(described));
    },
  });
  for (const service of services) health.set(service, ServingStatus.SERVING);
  if (options.startServing === false) health.drain();

  const sessions = new Set<http2.ServerHttp2Session>();
  const server = http2.createServer(handler);
  server.on('session', (session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  options.logger.info('gRPC server listening', { host: options.host, port, services });

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= new Promise<void>((resolve) => {
      health.drain();
      const grace = options.shutdownGraceMs ?? 10_000;
      const force = setTimeout(() => {
        options.logger.warn('cut connections after the shutdown grace period', { graceMs: grace, open: sessions.size });
        for (const session of sessions) session.destroy();
      }, grace);
      server.close(() => {
        clearTimeout(force);
        options.logger.info('gRPC server stopped');
        resolve();
      });
      // GOAWAY: clients open no new streams here; streams under way run to completion.
      for (const session of sessions) session.close();
    }));

  return { port, health, close };
}
