// library-service: the process entry point. The library-service registers books and instances; its bdk.v1.BookLibraryService
// implementation lands with the walking skeleton. Until then the process runs the shared service runtime:
// gRPC health, JSON logs and graceful shutdown.
import { createLogger, readServiceConfig, startGrpcServer, stopOnSignals } from '@bdk/service-runtime';

const logger = createLogger('library-service');
const config = readServiceConfig(process.env);
const server = await startGrpcServer({ host: config.grpcHost, port: config.grpcPort, logger, routes: () => undefined });
stopOnSignals(logger, () => server.close());
