// library-service: the process entry point. The library-service registers books and instances; its bdk.v1.BookLibraryService
// implementation lands with the walking skeleton. Until then the process runs the shared service runtime:
// gRPC health, metrics, JSON logs and graceful shutdown.
import { runService } from '@bdk/service-runtime';

await runService({ name: 'library-service', routes: () => undefined });
