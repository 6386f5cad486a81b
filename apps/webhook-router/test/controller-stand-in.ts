// A BookControllerService stand-in for the router's integration tests: a real connect-node server on loopback
// that answers ListWebhookSubscribers from a table the test edits, accepts every DispatchTrigger target, and
// records what it receives (with the bearer token each call carried). The real controller is exercised by its own
// tests and the e2e suite.
import { create } from '@bufbuild/protobuf';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import {
  BookControllerService,
  WebhookSubscriberSchema,
  type DispatchTriggerRequest,
  type ListWebhookSubscribersRequest,
  type WebhookSubscriber,
} from '@bdk/proto';
import type { SignatureScheme } from '@bdk/webhooks';

export interface StandInSubscriber {
  source: string;
  instanceId: string;
  organizationId: string;
  /** The BookInstanceDefinition's name in BDK's namespace. */
  name: string;
  routedTo: string;
  scheme: SignatureScheme;
  secrets: string[];
}

export interface ControllerStandIn {
  readonly url: string;
  /** What ListWebhookSubscribers answers from; edit it to create, rotate or remove. */
  readonly subscribers: StandInSubscriber[];
  readonly listed: ListWebhookSubscribersRequest[];
  readonly dispatched: DispatchTriggerRequest[];
  /** The authorization header of every call, in order. */
  readonly authorizations: (string | null)[];
  /** Closes the server and cuts open connections (the router then sees the controller down). */
  stop(): Promise<void>;
}

export async function startControllerStandIn(namespace: string): Promise<ControllerStandIn> {
  const subscribers: StandInSubscriber[] = [];
  const listed: ListWebhookSubscribersRequest[] = [];
  const dispatched: DispatchTriggerRequest[] = [];
  const authorizations: (string | null)[] = [];
  const asMessage = (s: StandInSubscriber): WebhookSubscriber =>
    create(WebhookSubscriberSchema, {
      target: { namespace, name: s.name },
      instanceId: s.instanceId,
      organizationId: s.organizationId,
      routedTo: s.routedTo,
      scheme: s.scheme,
      secrets: s.secrets,
    });

  const handler = connectNodeAdapter({
    routes(router) {
      router.service(BookControllerService, {
        listWebhookSubscribers(request, context) {
          authorizations.push(context.requestHeader.get('authorization'));
          listed.push(request);
          const matching = subscribers.filter(
            (s) => s.source === request.source && (request.instanceId === '' || s.instanceId === request.instanceId),
          );
          return { subscribers: matching.map(asMessage) };
        },
        dispatchTrigger(request, context) {
          authorizations.push(context.requestHeader.get('authorization'));
          dispatched.push(request);
          return {
            results: request.targets.map((target) => {
              const known = subscribers.find((s) => s.name === target.name);
              return known
                ? { target, delivered: true, httpStatus: 202, routedTo: known.routedTo }
                : { target, delivered: false, error: 'unknown instance', retryable: false };
            }),
          };
        },
      });
    },
  });
  const sessions = new Set<http2.ServerHttp2Session>();
  const server = http2.createServer(handler);
  server.on('session', (session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  let stopping: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    subscribers,
    listed,
    dispatched,
    authorizations,
    stop: () =>
      (stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const session of sessions) session.destroy();
      })),
  };
}
