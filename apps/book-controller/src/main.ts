// book-controller: the process entry point. The book-controller reconciles BookInstanceDefinitions and dispatches triggers; its bdk.v1.BookControllerService
// implementation lands with the walking skeleton. Until then the process runs the shared service runtime:
// gRPC health, JSON logs and graceful shutdown.
import { createLogger, readServiceConfig, startGrpcServer, stopOnSignals } from '@bdk/service-runtime';

const logger = createLogger('book-controller');
const config = readServiceConfig(process.env);
const server = await startGrpcServer({ host: config.grpcHost, port: config.grpcPort, logger, routes: () => undefined });
stopOnSignals(logger, () => server.close());
