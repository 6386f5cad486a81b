import type { ConnectRouter, Interceptor } from '@connectrpc/connect';
import type { Registry } from 'prom-client';
import { startAdminServer, type AdminServer } from './admin-server.js';
import { readServiceConfig, type ServiceConfig } from './config.js';
import { startGrpcServer, type GrpcServer } from './grpc-server.js';
import { createLogger, type Logger } from './logger.js';
import { createServiceMetrics } from './metrics.js';
import { serverTracingInterceptor } from './rpc-tracing.js';
import { stopOnSignals } from './shutdown.js';
import { startTracing } from './tracing.js';

/** What a service's routes may need from the process around them. */
export interface ServiceContext {
  readonly config: ServiceConfig;
  readonly logger: Logger;
  /** The registry /metrics serves: register the service's own metrics here. */
  readonly registry: Registry;
}

export interface ServiceOptions {
  /** The app's name: log component and the `service` label on every metric. */
  name: string;
  routes: (router: ConnectRouter, context: ServiceContext) => void;
  /** Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** false: start NOT_SERVING until `grpc.health.serveAll()` (see GrpcServerOptions.startServing). */
  startServing?: boolean;
  /** Run around every RPC inside the metrics interceptor, so refused calls are counted with their code (auth, for one). */
  interceptors?: Interceptor[];
}

export interface RunningService {
  readonly config: ServiceConfig;
  readonly logger: Logger;
  readonly grpc: GrpcServer;
  readonly admin: AdminServer;
  /** Graceful: readiness and health go false, in-flight RPCs finish, then both servers close. */
  close(): Promise<void>;
}

/**
 * One BDK service process: the gRPC server with health, metrics and tracing (a span per RPC, exported when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set), and the admin HTTP server.
 */
export async function startService(options: ServiceOptions): Promise<RunningService> {
  const env = options.env ?? process.env;
  const config = readServiceConfig(env);
  const logger = createLogger(options.name);
  const tracing = startTracing({ serviceName: options.name, env, logger });
  const metrics = createServiceMetrics(options.name);
  const grpc = await startGrpcServer({
    host: config.grpcHost,
    port: config.grpcPort,
    logger,
    routes: (router) => options.routes(router, { config, logger, registry: metrics.registry }),
    // Tracing outermost: the metrics and auth interceptors' log lines carry the call's request id and trace id.
    interceptors: [serverTracingInterceptor(), metrics.interceptor, ...(options.interceptors ?? [])],
    startServing: options.startServing,
  });
  const admin = await startAdminServer({ host: config.grpcHost, port: config.adminPort, registry: metrics.registry, health: grpc.health, logger });
  const close = async () => {
    await grpc.close();
    await admin.close();
    await tracing.shutdown();
  };
  return { config, logger, grpc, admin, close };
}

/** An app's main: start the service and stop it gracefully on SIGTERM or Ctrl-C. */
export async function runService(options: ServiceOptions): Promise<RunningService> {
  const service = await startService(options);
  stopOnSignals(service.logger, service.close);
  return service;
}
