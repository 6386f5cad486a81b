// CreateBookInstance, GetBookInstance, ListBookInstances, DeleteBookInstance and RotateInstanceCredentials:
// BookInstanceDefinition custom resources in BDK's namespace, and the credentials Secret in the customer namespace.
import { randomUUID } from 'node:crypto';
import { Code, ConnectError, type ServiceImpl } from '@connectrpc/connect';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import type { BookLibraryService, CredentialInput } from '@bdk/proto';
import {
  bdkLabels,
  bookInstanceDefinitionResource,
  bookInstanceName,
  credentialSecretKey,
  credentialsSecretName,
  instanceObjectMetadata,
  instanceRef,
  kubeStatusCode,
  labelSelector,
  type BookInstanceDefinition,
} from '@bdk/k8s';
import { findBook } from './books.js';
import {
  createCredentialsSecret,
  deleteCredentialsSecret,
  generateCredentialValue,
  writeCredentialValues,
  type CredentialValues,
  type SecretTarget,
} from './credentials-secret.js';
import { ensureNamespace } from './customer-namespace.js';
import { credentialSource, instanceFromDefinition, instanceSpecFromRequest } from './instance-mapping.js';
import { kubeFailure } from './kube-errors.js';
import { answerCreated, kube, type LibraryDeps } from './library-deps.js';
import { listPage } from './paging.js';
import { invalidArgument, validateCreateBookInstance, validateId, validateListBookInstances, validateRotateCredentials } from './validation.js';

type InstanceHandlers = Pick<
  ServiceImpl<typeof BookLibraryService>,
  'createBookInstance' | 'getBookInstance' | 'listBookInstances' | 'deleteBookInstance' | 'rotateInstanceCredentials'
>;

/** The values to store for newly created credentials, by Secret key: given ones, and fresh ones for generated. */
function initialValues(credentials: CredentialInput[]): CredentialValues {
  const values: CredentialValues = {};
  for (const credential of credentials) {
    const source = credentialSource(credential);
    if (source === 'generated') values[credentialSecretKey(credential.name)] = generateCredentialValue();
    // A manual credential's value is normally set out of band; one given here is stored like an external one.
    else if (credential.value !== '') values[credentialSecretKey(credential.name)] = credential.value;
  }
  return values;
}

/** The BookInstanceDefinition with this instance-id and book-id; NOT_FOUND when there is none. */
async function findInstance(deps: LibraryDeps, bookId: string, instanceId: string): Promise<BookInstanceDefinition> {
  const { items } = await kube(deps, `find instance ${instanceId}`, () =>
    deps.resources.instances.list(deps.namespace, {
      labelSelector: labelSelector({ [bdkLabels.instanceId]: instanceId, [bdkLabels.bookId]: bookId }),
    }),
  );
  const instance = items[0];
  if (!instance) throw new ConnectError(`instance ${instanceId} of book ${bookId} not found`, Code.NotFound);
  return instance;
}

export function instanceHandlers(deps: LibraryDeps): InstanceHandlers {
  const log = deps.logger;
  return {
    async createBookInstance(request, context) {
      validateCreateBookInstance(request);
      const book = await findBook(deps, request.bookId);
      if (book.metadata.deletionTimestamp) {
        throw new ConnectError(`book ${request.bookId} is being deleted`, Code.FailedPrecondition);
      }
      const bookName = book.spec.name;
      const instanceId = randomUUID();
      const objectName = bookInstanceName(request.customerNamespace, bookName, instanceId);
      const metadata = instanceObjectMetadata({ instanceId, bookId: request.bookId, instanceRef: instanceRef(deps.namespace, objectName) });
      const secret: SecretTarget = { namespace: request.customerNamespace, name: credentialsSecretName(bookName, instanceId), metadata };
      const body: BookInstanceDefinition = {
        apiVersion: bookInstanceDefinitionResource.apiVersion,
        kind: bookInstanceDefinitionResource.kind,
        metadata: {
          name: objectName,
          namespace: deps.namespace,
          labels: { ...metadata.labels, [bdkLabels.bookName]: bookName, [bdkLabels.customerNamespace]: request.customerNamespace },
        },
        spec: instanceSpecFromRequest(request, book, secret.name),
      };

      const namespace = await kube(deps, `ensure namespace ${request.customerNamespace}`, () => ensureNamespace(deps.core, request.customerNamespace));
      const values = initialValues(request.credentials);
      let secretCreated = false;
      let step = `create Secret ${secret.namespace}/${secret.name}`;
      let created: BookInstanceDefinition;
      try {
        // The Secret first: the controller acts on the CR and expects the values to be there.
        if (Object.keys(values).length > 0) {
          await createCredentialsSecret(deps.core, secret, values);
          secretCreated = true;
        }
        step = `create BookInstanceDefinition ${objectName}`;
        created = await deps.resources.instances.create(deps.namespace, body);
      } catch (error) {
        const failure = kubeFailure(error, step, log);
        await undoCreate(deps, { secret: secretCreated ? secret : undefined, namespace: namespace.created ? request.customerNamespace : undefined, instanceId });
        throw failure;
      }
      log.info('created book instance', {
        instanceId,
        bookId: request.bookId,
        object: `${deps.namespace}/${objectName}`,
        customerNamespace: request.customerNamespace,
        namespaceCreated: namespace.created,
        // Not `secret`: the logger redacts every field whose name looks secret.
        store: secretCreated ? `${secret.namespace}/${secret.name}` : undefined,
      });
      answerCreated(context);
      const instance = instanceFromDefinition(created);
      return {
        instanceId,
        bookId: request.bookId,
        customerNamespace: request.customerNamespace,
        status: instance.status?.phase ?? 'Pending',
        createdAt: instance.createdAt,
      };
    },

    async getBookInstance(request) {
      validateId(request.bookId, 'book_id');
      validateId(request.instanceId, 'instance_id');
      return { instance: instanceFromDefinition(await findInstance(deps, request.bookId, request.instanceId)) };
    },

    async listBookInstances(request) {
      const limit = validateListBookInstances(request);
      await findBook(deps, request.bookId);
      const selector = labelSelector({
        [bdkLabels.bookId]: request.bookId,
        ...(request.customerNamespace ? { [bdkLabels.customerNamespace]: request.customerNamespace } : {}),
      });
      const page = await listPage(deps, deps.resources.instances, 'list BookInstanceDefinitions', { labelSelector: selector, limit, pageToken: request.pageToken });
      return { instances: page.items.map(instanceFromDefinition), nextPageToken: page.nextPageToken };
    },

    async deleteBookInstance(request) {
      validateId(request.bookId, 'book_id');
      validateId(request.instanceId, 'instance_id');
      const instance = await findInstance(deps, request.bookId, request.instanceId);
      const name = instance.metadata.name ?? '';
      // The controller's finalizer (bdk.voyager.io/cleanup) removes what the instance has in the customer namespace.
      await kube(deps, `delete BookInstanceDefinition ${name}`, () => deps.resources.instances.delete(deps.namespace, name));
      log.info('deleted book instance', { instanceId: request.instanceId, bookId: request.bookId, object: `${deps.namespace}/${name}` });
      return {};
    },

    async rotateInstanceCredentials(request) {
      validateRotateCredentials(request);
      const instance = await findInstance(deps, request.bookId, request.instanceId);
      const values = rotatedValues(request.credentials, instance);
      const secretName = instance.spec.credentials?.find((credential) => credential.secretRef?.name)?.secretRef?.name;
      if (!secretName) throw new ConnectError(`instance ${request.instanceId} has no credentials Secret`, Code.FailedPrecondition);
      const objectName = instance.metadata.name ?? '';
      const secret: SecretTarget = {
        namespace: instance.spec.customer.namespace,
        name: secretName,
        metadata: instanceObjectMetadata({ instanceId: request.instanceId, bookId: request.bookId, instanceRef: instanceRef(deps.namespace, objectName) }),
      };
      await kube(deps, `update Secret ${secret.namespace}/${secret.name}`, () => writeCredentialValues(deps.core, secret, values.byKey));
      log.info('rotated instance credentials', { instanceId: request.instanceId, bookId: request.bookId, rotated: values.names });
      return { rotated: values.names, rotatedAt: timestampNow() };
    },
  };
}

/**
 * The new values of a rotation, checked against the instance's credentials: named ones must exist; external and
 * manual ones need a value; generated ones get a fresh one (all of them when no credential is named).
 */
function rotatedValues(requested: CredentialInput[], instance: BookInstanceDefinition): { names: string[]; byKey: CredentialValues } {
  const declared = new Map((instance.spec.credentials ?? []).map((credential) => [credential.name, credential]));
  const byKey: CredentialValues = {};
  const names: string[] = [];
  const keyOf = (name: string) => declared.get(name)?.secretRef?.key ?? credentialSecretKey(name);
  if (requested.length === 0) {
    for (const credential of declared.values()) {
      if (credentialSource(credential) !== 'generated') continue;
      byKey[keyOf(credential.name)] = generateCredentialValue();
      names.push(credential.name);
    }
    if (names.length === 0) throw invalidArgument('credentials', 'name the credentials to rotate; this instance has no generated credentials');
    return { names, byKey };
  }
  requested.forEach((credential, index) => {
    const existing = declared.get(credential.name);
    if (!existing) throw invalidArgument(`credentials[${index}].name`, `the instance has no credential "${credential.name}"`);
    const source = credentialSource(existing);
    if (source === 'generated') {
      if (credential.value !== '') throw invalidArgument(`credentials[${index}].value`, 'must be empty: BDK generates the value of a generated credential');
      byKey[keyOf(credential.name)] = generateCredentialValue();
    } else {
      if (credential.value === '') throw invalidArgument(`credentials[${index}].value`, `is required to rotate the ${source} credential "${credential.name}"`);
      byKey[keyOf(credential.name)] = credential.value;
    }
    names.push(credential.name);
  });
  return { names, byKey };
}

/**
 * Undoes a half-made instance: the Secret goes; a namespace this request created stays (another request may be
 * putting an instance into it by now), and the log says so.
 */
async function undoCreate(deps: LibraryDeps, made: { secret?: SecretTarget; namespace?: string; instanceId: string }): Promise<void> {
  if (made.secret) {
    try {
      await deleteCredentialsSecret(deps.core, made.secret);
      deps.logger.info('removed the credentials Secret of a failed instance creation', { instanceId: made.instanceId, store: `${made.secret.namespace}/${made.secret.name}` });
    } catch (error) {
      deps.logger.error('could not remove the credentials Secret of a failed instance creation', {
        instanceId: made.instanceId,
        store: `${made.secret.namespace}/${made.secret.name}`,
        status: kubeStatusCode(error),
      });
    }
  }
  if (made.namespace) {
    deps.logger.warn('left the customer namespace created for a failed instance creation', { instanceId: made.instanceId, namespace: made.namespace });
  }
}
