// The router's client of the book controller's internal BookControllerService. Every call carries the router's
// projected ServiceAccount token, which the controller reviews (TokenReview) before it answers.
import { Code, ConnectError, createClient, type Client } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { BookControllerService, type WebhookSubscriber } from '@bdk/proto';
import { bearerTokenInterceptor } from '@bdk/service-runtime';
import type { SubscriberKey } from './subscriber-cache.js';

export type ControllerClient = Client<typeof BookControllerService>;

/** `token` is asked on every call, so a token the kubelet rotated is sent as soon as it is on disk. */
export function createControllerClient(options: { baseUrl: string; token: () => Promise<string> }): ControllerClient {
  return createClient(
    BookControllerService,
    createGrpcTransport({ baseUrl: options.baseUrl, interceptors: [bearerTokenInterceptor(options.token)] }),
  );
}

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
