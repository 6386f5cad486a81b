// A BookControllerService stand-in for the router's integration tests: a real connect-node server on loopback
// that answers ListWebhookSubscribers from a table the test edits, answers DispatchTriggers as the test's book
// does (by default: every known target takes it), and records what it receives (with the bearer token each call
// carried). The real controller is exercised by its own
// tests and the e2e suite.
import { create } from '@bufbuild/protobuf';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import {
  BookControllerService,
  WebhookSubscriberSchema,
  type DispatchTriggerRequest,
  type IntegrationConfig,
  type SchemaField,
  type TriggerResult,
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
  /** The book's BookDefinition name, and what it accepts from the source, as the controller sends them. */
  book?: string;
  payloadContract?: IntegrationConfig;
  inputs?: SchemaField[];
}

/** How a test's book answers one trigger. */
export type BookAnswer = Pick<TriggerResult, 'delivered' | 'httpStatus' | 'error' | 'retryable' | 'retryAfterSeconds'>;

export interface ControllerStandIn {
  readonly url: string;
  /** What ListWebhookSubscribers answers from; edit it to create, rotate or remove. */
  readonly subscribers: StandInSubscriber[];
  readonly listed: ListWebhookSubscribersRequest[];
  readonly dispatched: DispatchTriggerRequest[];
  /** The book's answer to each dispatched target, when set; otherwise every known target takes it. */
  book?: (request: DispatchTriggerRequest) => Promise<BookAnswer> | BookAnswer;
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
      book: s.book ?? '',
      payloadContract: s.payloadContract,
      inputs: s.inputs ?? [],
    });

  async function dispatch(request: DispatchTriggerRequest) {
    dispatched.push(request);
    return {
      results: await Promise.all(
        request.targets.map(async (target) => {
          const known = subscribers.find((s) => s.name === target.name);
          if (!known) return { target, delivered: false, error: 'unknown instance', retryable: false };
          const answer = standIn.book ? await standIn.book(request) : { delivered: true, httpStatus: 202 };
          return { target, routedTo: known.routedTo, ...answer };
        }),
      ),
    };
  }

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
        async dispatchTriggers({ triggers }, context) {
          authorizations.push(context.requestHeader.get('authorization'));
          return { responses: await Promise.all(triggers.map(dispatch)) };
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
  const standIn: ControllerStandIn = {
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
  return standIn;
}
