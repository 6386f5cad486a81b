// ListWebhookSubscribers: the instances that receive a source's webhooks, each with the signing secrets that
// verify now, so the router can tell which instance a signature belongs to. Answered from the caches alone (it
// runs once per webhook the router has not cached): the instances, their books, and the signing Secrets.
// Every answer is one audit line naming the instances whose secrets it returned.
import { Code, ConnectError, type ServiceImpl } from '@connectrpc/connect';
import {
  bdkLabels,
  bookObjectNameOf,
  webhookIntegrationFor,
  webhookSigningSecretName,
  type BookDefinition,
  type BookInstanceDefinition,
  type RestartingInformer,
} from '@bdk/k8s';
import { create, type JsonObject } from '@bufbuild/protobuf';
import { WebhookSubscriberSchema, type BookControllerService, type WebhookSubscriber } from '@bdk/proto';
import { defaultSchemeFor, isSignatureScheme } from '@bdk/webhooks';
import type { V1Secret } from '@kubernetes/client-node';
import { AuditAction, type AuditLog } from '@bdk/service-runtime';
import { instanceIdOf } from '../instance/desired-objects.js';
import { internalCaller } from '../internal-auth/internal-auth-interceptor.js';
import { parseSigningEntry, signingKey, validSource, verifyingSecrets } from '../secrets/signing-secret.js';

export interface SubscriberCaches {
  readonly instances: Pick<RestartingInformer<BookInstanceDefinition>, 'list'>;
  readonly books: Pick<RestartingInformer<BookDefinition>, 'get'>;
  readonly signingSecrets: Pick<RestartingInformer<V1Secret>, 'get'>;
  readonly isSynced: boolean;
}

export interface WebhookSubscribersDeps {
  /** BDK's namespace, where the instances and books are. */
  namespace: string;
  caches: SubscriberCaches;
  audit: AuditLog;
  now?: () => Date;
}

/** The subscribers of `source` among `instances`; pure over the caches' contents. */
export function webhookSubscribers(input: {
  source: string;
  instanceId: string;
  instances: readonly BookInstanceDefinition[];
  book: (name: string) => BookDefinition | undefined;
  signingSecret: (namespace: string, name: string) => V1Secret | undefined;
  now: Date;
}): WebhookSubscriber[] {
  const key = signingKey(input.source);
  const subscribers: WebhookSubscriber[] = [];
  for (const instance of input.instances) {
    if (instance.metadata.deletionTimestamp) continue;
    const instanceId = instanceIdOf(instance);
    if (input.instanceId !== '' && instanceId !== input.instanceId) continue;
    const bookObject = bookObjectNameOf(instance);
    const book = bookObject === undefined ? undefined : input.book(bookObject);
    const integration = book && webhookIntegrationFor(book, input.source);
    if (!book || !integration) continue;
    const customerNamespace = instance.spec.customer.namespace;
    const organizationId = instance.metadata.labels?.[bdkLabels.organizationId] ?? '';
    const secret = input.signingSecret(customerNamespace, webhookSigningSecretName(book.spec.name, instanceId));
    // A Secret of that name that does not say it is this instance's (and organisation's) is not trusted to verify for it.
    const labels = secret?.metadata?.labels ?? {};
    if (!secret || labels[bdkLabels.instanceId] !== instanceId || labels[bdkLabels.organizationId] !== organizationId) continue;
    const raw = secret.data?.[key];
    const entry = parseSigningEntry(raw === undefined ? undefined : Buffer.from(raw, 'base64').toString('utf8'));
    // No signing secret yet: nothing could verify a webhook for it.
    if (!entry) continue;
    const scheme = integration.config?.scheme;
    subscribers.push(
      create(WebhookSubscriberSchema, {
        target: { namespace: instance.metadata.namespace ?? '', name: instance.metadata.name ?? '' },
        instanceId,
        organizationId,
        routedTo: `${customerNamespace}/${instance.spec.bookRef.name}`,
        scheme: scheme && isSignatureScheme(scheme) ? scheme : defaultSchemeFor(key),
        secrets: verifyingSecrets(entry, input.now),
        book: book.metadata.name ?? '',
        payloadContract: {
          payloadSchema: integration.config?.payload_schema as JsonObject | undefined,
          inputMapping: integration.config?.input_mapping ?? {},
        },
        inputs: (book.spec.schema?.inputs ?? []).map((field) => ({ name: field.name, type: field.type ?? '', required: field.required ?? false, enum: field.enum ?? [] })),
      }),
    );
  }
  return subscribers;
}

export function createListWebhookSubscribers(deps: WebhookSubscribersDeps): ServiceImpl<typeof BookControllerService>['listWebhookSubscribers'] {
  const { namespace, caches, audit } = deps;
  const now = deps.now ?? (() => new Date());
  return function listWebhookSubscribers(request, context) {
    if (request.source.trim() === '') throw new ConnectError('source is required', Code.InvalidArgument);
    if (!validSource(request.source)) throw new ConnectError(`source must be a DNS label (a-z, 0-9, '-'), got "${request.source}"`, Code.InvalidArgument);
    // Before the first full list an instance missing from the cache may exist: "no subscribers" would be a lie.
    if (!caches.isSynced) throw new ConnectError('the controller is still loading its caches', Code.Unavailable);
    const subscribers = webhookSubscribers({
      source: request.source,
      instanceId: request.instanceId,
      instances: caches.instances.list(namespace),
      book: (name) => caches.books.get(name, namespace),
      signingSecret: (ns, name) => caches.signingSecrets.get(name, ns),
      now: now(),
    });
    const caller = context.values.get(internalCaller)?.username ?? '';
    audit({
      action: AuditAction.webhookSecretRead,
      actor: caller,
      caller,
      organization_id: '',
      instance: '',
      instance_id: request.instanceId,
      name: signingKey(request.source),
      reason: 'route',
      outcome: 'success',
      instances: subscribers.map((s) => ({ instance: `${s.target?.namespace ?? ''}/${s.target?.name ?? ''}`, instance_id: s.instanceId, organization_id: s.organizationId })),
    });
    return { subscribers };
  };
}
