// The router's use of the book controller's internal BookControllerService (the client itself, with the router's
// ServiceAccount token on every call, is @bdk/service-runtime's).
import { Code, ConnectError } from '@connectrpc/connect';
import type { WebhookSubscriber } from '@bdk/proto';
import type { ControllerClient } from '@bdk/service-runtime';
import type { SubscriberKey } from './intake/subscriber-cache.js';

export type { ControllerClient };

/**
 * ListWebhookSubscribers as the subscriber cache's loader. The call is shared by every webhook waiting on the key,
 * so it has its own deadline rather than one request's.
 */
export function subscriberLoader(controller: ControllerClient, timeoutMs: number): (key: SubscriberKey) => Promise<WebhookSubscriber[]> {
  return async ({ source, instanceId }) => {
    try {
      return (await controller.listWebhookSubscribers({ source, instanceId }, { timeoutMs })).subscribers;
    } catch (error) {
      // An instance the controller does not know has no subscribers: the sender is told what any stranger is.
      if (ConnectError.from(error).code === Code.NotFound) return [];
      throw error;
    }
  };
}
