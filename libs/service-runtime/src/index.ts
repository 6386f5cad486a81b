// @bdk/service-runtime: what every BDK service process shares: config, JSON logs, the gRPC server with
// health and graceful shutdown.
export { ConfigError, envPort, envString, readServiceConfig, type ServiceConfig } from './config.js';
export { startGrpcServer, type GrpcServer, type GrpcServerOptions } from './grpc-server.js';
export { HealthRegistry, ServingStatus } from './health.js';
export { createLogger, redact, type LogFields, type Logger, type LogLevel } from './logger.js';
export { stopOnSignals } from './shutdown.js';
