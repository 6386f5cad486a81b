// CreateBookInstance, GetBookInstance, ListBookInstances, DeleteBookInstance and RotateInstanceCredentials:
// BookInstanceDefinition custom resources in BDK's namespace, and the credentials Secret in the customer namespace.
import { randomUUID } from 'node:crypto';
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from '@connectrpc/connect';
import { timestampDate, timestampNow } from '@bufbuild/protobuf/wkt';
import type { BookLibraryService, CredentialInput } from '@bdk/proto';
import { callerOrganization, describePrincipal, principalOf } from '@bdk/auth';
import { AuditAction, createAuditLog } from '@bdk/service-runtime';
import { generateSigningSecret } from '@bdk/webhooks';
import {
  bdkLabels,
  bookIdOf,
  bookInstanceDefinitionResource,
  bookInstanceName,
  credentialsSecretName,
  isExactVersion,
  labelSelector,
  managedByBdk,
  type BookDefinition,
  type BookInstanceDefinition,
} from '@bdk/k8s';
import { admitNewInstance } from '../books/book-lifecycle.js';
import { findBook } from '../books/books.js';
import { checkCustomerNamespace } from '../tenancy/customer-namespace.js';
import { credentialSource, instanceFromDefinition, instanceSpecFromRequest } from './instance-mapping.js';
import { generateCredentialValue, storeInstanceSecrets } from './instance-secrets.js';
import { bookWebhooks, instanceWebhookUrl, newSigningSecrets } from './instance-webhooks.js';
import { kubeFailure } from '../kube-errors.js';
import { answerCreated, kube, type LibraryDeps } from '../library-deps.js';
import { listPage } from '../paging.js';
import { requestOrganization } from '../tenancy/tenancy.js';
import {
  invalidArgument,
  validateCreateBookInstance,
  validateId,
  validateListBookInstances,
  validateRotateCredentials,
  validateRotateWebhookSecret,
} from '../validation.js';

type InstanceHandlers = Pick<
  ServiceImpl<typeof BookLibraryService>,
  'createBookInstance' | 'getBookInstance' | 'listBookInstances' | 'deleteBookInstance' | 'rotateInstanceCredentials' | 'rotateWebhookSecret'
>;

/** How long a replaced webhook signing secret keeps verifying when the request does not say. */
export const defaultPreviousSecretSeconds = 86_400;

/** The values to store for newly created credentials, by credential name: given ones, and fresh ones for generated. */
function initialValues(credentials: CredentialInput[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (const credential of credentials) {
    const source = credentialSource(credential);
    if (source === 'generated') values[credential.name] = generateCredentialValue();
    // A manual credential's value is normally set out of band; one given here is stored like an external one.
    else if (credential.value !== '') values[credential.name] = credential.value;
  }
  return values;
}

/**
 * The caller's organisation's BookInstanceDefinition with this instance-id and book-id. Another organisation's
 * instance is selected away by the organisation label, so it is NOT_FOUND exactly like one that does not exist.
 */
export async function findInstance(deps: LibraryDeps, organizationId: string, bookId: string, instanceId: string): Promise<BookInstanceDefinition> {
  const { items } = await kube(deps, `find instance ${instanceId}`, () =>
    deps.resources.instances.list(deps.namespace, {
      labelSelector: labelSelector({ [bdkLabels.instanceId]: instanceId, [bdkLabels.bookId]: bookId, [bdkLabels.organizationId]: organizationId }),
    }),
  );
  const instance = items[0];
  if (!instance) throw new ConnectError(`instance ${instanceId} of book ${bookId} not found`, Code.NotFound);
  return instance;
}

/** What a request asked the controller to write: credential names and webhook sources, never values. */
interface RequestedWrite {
  organizationId: string;
  instanceName: string;
  instanceId: string;
  reason: 'create' | 'rotate';
  credentials: string[];
  sources: string[];
}

/**
 * The controller records every write it makes, with the caller passed on as its actor. A write it never made (it
 * could not be reached, or refused) is recorded here, in the same audit schema, so the trail has every attempt.
 */
function auditUnwritten(deps: LibraryDeps, context: HandlerContext, write: RequestedWrite, error: unknown): void {
  const audit = createAuditLog(deps.logger);
  const failure = ConnectError.from(error);
  const common = {
    actor: describePrincipal(principalOf(context)),
    caller: 'library-service',
    organization_id: write.organizationId,
    instance: `${deps.namespace}/${write.instanceName}`,
    instance_id: write.instanceId,
    reason: write.reason,
    outcome: failure.code === Code.PermissionDenied ? ('denied' as const) : ('error' as const),
    detail: failure.rawMessage,
  };
  for (const name of write.credentials) audit({ ...common, action: AuditAction.credentialWrite, name });
  for (const name of write.sources) audit({ ...common, action: AuditAction.webhookSecretWrite, name });
}

export function instanceHandlers(deps: LibraryDeps): InstanceHandlers {
  const log = deps.logger;
  return {
    async createBookInstance(request, context) {
      validateCreateBookInstance(request);
      const organizationId = requestOrganization(request.organizationId, callerOrganization(context));
      const book = await findBook(deps, request.bookId);
      if (book.metadata.deletionTimestamp) {
        throw new ConnectError(`book ${request.bookId} (${book.spec.name} ${book.spec.version}) is being deleted; it takes no new instances`, Code.FailedPrecondition);
      }
      // A withdrawn version takes no new instances; a deprecated one answers with a warning.
      admitNewInstance(book, context);
      await checkCustomerNamespace(deps, request.customerNamespace, organizationId);
      const bookName = book.spec.name;
      const instanceId = randomUUID();
      const objectName = bookInstanceName(request.customerNamespace, bookName, instanceId);
      const body: BookInstanceDefinition = {
        apiVersion: bookInstanceDefinitionResource.apiVersion,
        kind: bookInstanceDefinitionResource.kind,
        metadata: {
          name: objectName,
          namespace: deps.namespace,
          labels: {
            [bdkLabels.instanceId]: instanceId,
            [bdkLabels.bookId]: request.bookId,
            [bdkLabels.bookName]: bookName,
            [bdkLabels.customerNamespace]: request.customerNamespace,
            [bdkLabels.organizationId]: organizationId,
            // Made through the API (an instance applied by a GitOps tool has no such label).
            [bdkLabels.managedBy]: managedByBdk,
          },
        },
        spec: instanceSpecFromRequest({ ...request, organizationId }, book, credentialsSecretName(bookName, instanceId)),
      };

      let created: BookInstanceDefinition;
      try {
        created = await deps.resources.instances.create(deps.namespace, body);
      } catch (error) {
        throw kubeFailure(error, `create BookInstanceDefinition ${objectName}`, log);
      }
      // DeleteBook may have begun between the read above and this write; the book controller only releases a book
      // once a quorum read finds no instance of it, so reading the book after the write closes that gap.
      await refuseIfBookDeleting(deps, book, objectName, instanceId);
      const credentials = initialValues(request.credentials);
      const webhooks = newSigningSecrets(book);
      if (Object.keys(credentials).length > 0 || webhooks.length > 0) {
        try {
          await storeInstanceSecrets(
            deps.controller,
            deps.namespace,
            {
              instanceName: objectName,
              organizationId,
              actor: describePrincipal(principalOf(context)),
              reason: 'create',
              credentials,
              webhookSecrets: webhooks.map(({ source, secret }) => ({ source, secret, previousValidSeconds: 0 })),
            },
            log,
          );
        } catch (error) {
          const sources = webhooks.map((webhook) => webhook.source);
          auditUnwritten(deps, context, { organizationId, instanceName: objectName, instanceId, reason: 'create', credentials: Object.keys(credentials), sources }, error);
          await undoCreate(deps, objectName, instanceId);
          throw error;
        }
      }
      log.info('created book instance', {
        instanceId,
        bookId: request.bookId,
        organizationId,
        object: `${deps.namespace}/${objectName}`,
        customerNamespace: request.customerNamespace,
      });
      answerCreated(context);
      const instance = instanceFromDefinition(created);
      return {
        instanceId,
        bookId: request.bookId,
        customerNamespace: request.customerNamespace,
        status: instance.status?.phase ?? 'Pending',
        createdAt: instance.createdAt,
        webhooks: webhooks.map(({ source, scheme, secret }) => ({
          source,
          scheme,
          url: instanceWebhookUrl(deps.webhookPublicUrl, source, instanceId),
          signingSecret: secret,
        })),
      };
    },

    async getBookInstance(request, context) {
      validateId(request.bookId, 'book_id');
      validateId(request.instanceId, 'instance_id');
      return { instance: instanceFromDefinition(await findInstance(deps, callerOrganization(context), request.bookId, request.instanceId)) };
    },

    async listBookInstances(request, context) {
      const limit = validateListBookInstances(request);
      const organizationId = callerOrganization(context);
      await findBook(deps, request.bookId);
      const selector = labelSelector({
        [bdkLabels.bookId]: request.bookId,
        [bdkLabels.organizationId]: organizationId,
        ...(request.customerNamespace ? { [bdkLabels.customerNamespace]: request.customerNamespace } : {}),
      });
      const page = await listPage(deps, deps.resources.instances, 'list BookInstanceDefinitions', { labelSelector: selector, limit, pageToken: request.pageToken });
      return { instances: page.items.map(instanceFromDefinition), nextPageToken: page.nextPageToken };
    },

    async deleteBookInstance(request, context) {
      validateId(request.bookId, 'book_id');
      validateId(request.instanceId, 'instance_id');
      const instance = await findInstance(deps, callerOrganization(context), request.bookId, request.instanceId);
      const name = instance.metadata.name ?? '';
      // The controller's finalizer (bdk.voyager.io/cleanup) removes what the instance has in the customer namespace.
      await kube(deps, `delete BookInstanceDefinition ${name}`, () => deps.resources.instances.delete(deps.namespace, name));
      log.info('deleted book instance', { instanceId: request.instanceId, bookId: request.bookId, object: `${deps.namespace}/${name}` });
      return {};
    },

    async rotateInstanceCredentials(request, context) {
      validateRotateCredentials(request);
      const organizationId = callerOrganization(context);
      const instance = await findInstance(deps, organizationId, request.bookId, request.instanceId);
      const values = rotatedValues(request.credentials, instance);
      const names = Object.keys(values);
      const instanceName = instance.metadata.name ?? '';
      try {
        await storeInstanceSecrets(
          deps.controller,
          deps.namespace,
          { instanceName, organizationId, actor: describePrincipal(principalOf(context)), reason: 'rotate', credentials: values, webhookSecrets: [] },
          log,
        );
      } catch (error) {
        auditUnwritten(deps, context, { organizationId, instanceName, instanceId: request.instanceId, reason: 'rotate', credentials: names, sources: [] }, error);
        throw error;
      }
      return { rotated: names, rotatedAt: timestampNow() };
    },

    async rotateWebhookSecret(request, context) {
      validateRotateWebhookSecret(request);
      const organizationId = callerOrganization(context);
      const instance = await findInstance(deps, organizationId, request.bookId, request.instanceId);
      const book = await bookOf(deps, instance);
      const webhook = bookWebhooks(book).find((candidate) => candidate.source === request.source);
      if (!webhook) throw new ConnectError(`source: the instance's book has no webhook integration for "${request.source}"`, Code.NotFound);
      const previousValidSeconds = request.revokePrevious ? 0 : request.previousValidSeconds || defaultPreviousSecretSeconds;
      const secret = generateSigningSecret();
      const instanceName = instance.metadata.name ?? '';
      let stored;
      try {
        stored = await storeInstanceSecrets(
          deps.controller,
          deps.namespace,
          {
            instanceName,
            organizationId,
            actor: describePrincipal(principalOf(context)),
            reason: 'rotate',
            credentials: {},
            webhookSecrets: [{ source: webhook.source, secret, previousValidSeconds }],
          },
          log,
        );
      } catch (error) {
        auditUnwritten(deps, context, { organizationId, instanceName, instanceId: request.instanceId, reason: 'rotate', credentials: [], sources: [webhook.source] }, error);
        throw error;
      }
      const previousExpiresAt = stored.previousExpiresAt[webhook.source];
      return {
        webhook: { source: webhook.source, scheme: webhook.scheme, url: instanceWebhookUrl(deps.webhookPublicUrl, webhook.source, request.instanceId), signingSecret: secret },
        previousExpiresAt: previousExpiresAt && timestampDate(previousExpiresAt) > new Date() ? previousExpiresAt : undefined,
      };
    },
  };
}

/**
 * The BookDefinition an instance runs: the object its bookRef names, or for a range (whose bookRef names the book,
 * not an object) the one the controller resolved it to.
 */
async function bookOf(deps: LibraryDeps, instance: BookInstanceDefinition): Promise<BookDefinition> {
  const name = isExactVersion(instance.spec.bookRef.version) ? instance.spec.bookRef.name : (instance.status?.resolved_book ?? instance.spec.bookRef.name);
  const book = await kube(deps, `read BookDefinition ${name}`, () => deps.resources.books.find(deps.namespace, name));
  if (!book) throw new ConnectError(`the book of instance ${instance.metadata.labels?.[bdkLabels.instanceId] ?? name} no longer exists`, Code.FailedPrecondition);
  return book;
}

/**
 * The new values of a rotation, by credential name, checked against the instance's credentials: named ones must
 * exist; external and manual ones need a value; generated ones get a fresh one (all of them when none is named).
 */
function rotatedValues(requested: CredentialInput[], instance: BookInstanceDefinition): Record<string, string> {
  const declared = new Map((instance.spec.credentials ?? []).map((credential) => [credential.name, credential]));
  const values: Record<string, string> = {};
  if (requested.length === 0) {
    for (const credential of declared.values()) {
      if (credentialSource(credential) === 'generated') values[credential.name] = generateCredentialValue();
    }
    if (Object.keys(values).length === 0) throw invalidArgument('credentials', 'name the credentials to rotate; this instance has no generated credentials');
    return values;
  }
  requested.forEach((credential, index) => {
    const existing = declared.get(credential.name);
    if (!existing) throw invalidArgument(`credentials[${index}].name`, `the instance has no credential "${credential.name}"`);
    const source = credentialSource(existing);
    if (source === 'generated') {
      if (credential.value !== '') throw invalidArgument(`credentials[${index}].value`, 'must be empty: BDK generates the value of a generated credential');
      values[credential.name] = generateCredentialValue();
    } else {
      if (credential.value === '') throw invalidArgument(`credentials[${index}].value`, `is required to rotate the ${source} credential "${credential.name}"`);
      values[credential.name] = credential.value;
    }
  });
  return values;
}

/**
 * FAILED_PRECONDITION, after removing the instance just written, when its book started deleting (or is gone) since
 * it was read: an instance is never left running a book whose deletion went ahead.
 */
export async function refuseIfBookDeleting(deps: LibraryDeps, book: BookDefinition, objectName: string, instanceId: string): Promise<void> {
  const name = book.metadata.name ?? '';
  let current: BookDefinition | undefined;
  try {
    current = await deps.resources.books.find(deps.namespace, name);
  } catch (error) {
    await undoCreate(deps, objectName, instanceId);
    throw kubeFailure(error, `read BookDefinition ${name}`, deps.logger);
  }
  if (current && current.metadata.uid === book.metadata.uid && !current.metadata.deletionTimestamp) return;
  await undoCreate(deps, objectName, instanceId);
  throw new ConnectError(`book ${bookIdOf(book)} (${book.spec.name} ${book.spec.version}) is being deleted; it takes no new instances`, Code.FailedPrecondition);
}

/** Undoes a half-made instance: the BookInstanceDefinition goes (the controller's finalizer removes what it made). */
async function undoCreate(deps: LibraryDeps, objectName: string, instanceId: string): Promise<void> {
  try {
    await deps.resources.instances.delete(deps.namespace, objectName);
    deps.logger.info('removed the BookInstanceDefinition of a failed instance creation', { instanceId, object: `${deps.namespace}/${objectName}` });
  } catch (error) {
    deps.logger.error('could not remove the BookInstanceDefinition of a failed instance creation', { instanceId, object: `${deps.namespace}/${objectName}`, error });
  }
}
