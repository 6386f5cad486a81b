// bdk.v1.WebhookService: the intake (DeliverWebhook) and the delivery log (list, read, replay) over one durable
// delivery store.
import type { ServiceImpl } from '@connectrpc/connect';
import type { WebhookService } from '@bdk/proto';
import { deliveryLogApi, type DeliveryLogDeps } from './delivery/delivery-log-api.js';
import { webhookIntake, type IntakeDeps } from './intake/webhook-intake.js';

export type WebhookServiceDeps = IntakeDeps & Pick<DeliveryLogDeps, 'onReplayed'>;

export function webhookService(deps: WebhookServiceDeps): ServiceImpl<typeof WebhookService> {
  return {
    deliverWebhook: webhookIntake(deps),
    ...deliveryLogApi({ store: deps.store, onReplayed: deps.onReplayed, logger: deps.logger }),
  };
}
