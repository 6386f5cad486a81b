// @bdk/service-runtime: what every BDK service process shares: config, JSON logs, the gRPC server with
// health, metrics and graceful shutdown, and the admin HTTP server (/metrics, /healthz, /readyz).
export type { AdminServer } from './admin-server.js';
export {
  AuditAction,
  auditRecord,
  createAuditLog,
  type AuditEvent,
  type AuditLog,
  type AuditOutcome,
  type AuditReason,
  type AuditRecord,
  type AuditedInstance,
} from './audit-log.js';
export { ConfigError, envPort, envString, envWholeNumber, readServiceConfig, type ServiceConfig } from './config.js';
export { createControllerClient, readControllerConnection, type ControllerClient, type ControllerConnection } from './controller-connection.js';
export { startGrpcServer, type GrpcServer, type GrpcServerOptions } from './grpc-server.js';
export { ServingStatus, type HealthRegistry } from './health.js';
export { createLogger, redact, type LogFields, type Logger, type LogLevel } from './logger.js';
export { runService, startService, type RunningService, type ServiceContext, type ServiceOptions } from './service.js';
export { stopOnSignals } from './shutdown.js';
export { bearerToken, bearerTokenInterceptor } from './bearer-token.js';
export { currentRequestId, requestLogFields, withRequestId } from './request-context.js';
export { clientTracingInterceptor, serverTracingInterceptor, tracedHttpRequest } from './rpc-tracing.js';
export { installTracePropagation, otlpTracesUrl, startTracing, type Tracing, type TracingOptions } from './tracing.js';
