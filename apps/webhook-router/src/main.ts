// webhook-router: the process entry point. The webhook-router receives, records and routes webhooks; its bdk.v1.WebhookService
// implementation lands with the walking skeleton. Until then the process runs the shared service runtime:
// gRPC health, metrics, JSON logs and graceful shutdown.
import { runService } from '@bdk/service-runtime';

await runService({ name: 'webhook-router', routes: () => undefined });
