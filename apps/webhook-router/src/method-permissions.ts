// Who may call each WebhookService RPC. DeliverWebhook is public to bearer tokens: senders cannot hold one, and
// the receiving instance's signature authenticates them instead. The delivery log is organisation data.
import { permissions, type MethodPermissions } from '@bdk/auth';
import { WebhookService } from '@bdk/proto';

export const routerMethodPermissions: MethodPermissions = {
  [WebhookService.typeName]: {
    [WebhookService.method.deliverWebhook.localName]: 'public',
    [WebhookService.method.listDeliveries.localName]: permissions.deliveriesRead,
    [WebhookService.method.getDelivery.localName]: permissions.deliveriesRead,
    [WebhookService.method.replayDelivery.localName]: permissions.deliveriesReplay,
    [WebhookService.method.replayDeliveries.localName]: permissions.deliveriesReplay,
  },
};
