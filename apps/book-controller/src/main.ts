// book-controller: the process entry point. The book-controller reconciles BookInstanceDefinitions and dispatches triggers; its bdk.v1.BookControllerService
// implementation lands with the walking skeleton. Until then the process runs the shared service runtime:
// gRPC health, metrics, JSON logs and graceful shutdown.
import { runService } from '@bdk/service-runtime';

await runService({ name: 'book-controller', routes: () => undefined });
