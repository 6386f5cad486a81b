// The spec's BookDefinition and BookInstanceDefinition (charts/bdk/examples), shaped as the library-service
// creates them: ids and organisation as labels, names derived with @bdk/k8s, credentials pointing at the
// instance's Secret. And the internal callers: ServiceAccount tokens and a BookControllerService client.
import { createClient, type Client } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import {
  bdkLabels,
  bookDefinitionResource,
  bookInstanceDefinitionResource,
  bookInstanceName,
  credentialSecretKey,
  credentialsSecretName,
  ensureServiceAccount,
  managedByBdk,
  requestServiceAccountToken,
  secretPurposes,
  type BookDefinition,
  type BookInstanceDefinition,
} from '@bdk/k8s';
import { BookControllerService } from '@bdk/proto';
import { bearerTokenInterceptor } from '@bdk/service-runtime';
import { loadYaml, type KubeConfig } from '@kubernetes/client-node';
import type { V1Secret } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { workspaceRoot } from '@bdk/testing';

const example = <T>(file: string): T => loadYaml<T>(readFileSync(path.join(workspaceRoot, 'charts', 'bdk', 'examples', file), 'utf8'));

export function seedBook(namespace: string, bookId: string): BookDefinition {
  const book = example<BookDefinition>('book-definition.yaml');
  return {
    ...book,
    apiVersion: bookDefinitionResource.apiVersion,
    kind: bookDefinitionResource.kind,
    metadata: { name: book.metadata.name, namespace, labels: { [bdkLabels.bookId]: bookId, [bdkLabels.bookName]: book.spec.name } },
  };
}

/** The spec's organisation (spec.customer.organization_id of the example). */
export const seedOrganization = 'org-uuid-123';

export function seedInstance(options: {
  namespace: string;
  customerNamespace: string;
  book: BookDefinition;
  instanceId: string;
  organizationId?: string;
}): BookInstanceDefinition {
  const instance = example<BookInstanceDefinition>('book-instance-definition.yaml');
  const { book, instanceId } = options;
  const organizationId = options.organizationId ?? seedOrganization;
  const secret = credentialsSecretName(book.spec.name, instanceId);
  return {
    apiVersion: bookInstanceDefinitionResource.apiVersion,
    kind: bookInstanceDefinitionResource.kind,
    metadata: {
      name: bookInstanceName(options.customerNamespace, book.spec.name, instanceId),
      namespace: options.namespace,
      labels: {
        [bdkLabels.instanceId]: instanceId,
        [bdkLabels.bookId]: book.metadata.labels?.[bdkLabels.bookId] ?? '',
        [bdkLabels.organizationId]: organizationId,
      },
    },
    spec: {
      ...instance.spec,
      bookRef: { name: book.metadata.name ?? '', version: book.spec.version },
      customer: { namespace: options.customerNamespace, organization_id: organizationId },
      credentials: (instance.spec.credentials ?? []).map((c) => ({ ...c, secretRef: { name: secret, key: credentialSecretKey(c.name) } })),
    },
  };
}

/** A credentials Secret with the instance's labels, for tests that need one in place before the controller acts. */
export function credentialsSecret(instance: BookInstanceDefinition, book: BookDefinition, values: Record<string, string>): V1Secret {
  const instanceId = instance.metadata.labels?.[bdkLabels.instanceId] ?? '';
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: credentialsSecretName(book.spec.name, instanceId),
      namespace: instance.spec.customer.namespace,
      // As StoreInstanceSecrets labels it: the controller watches credentials Secrets by their purpose.
      labels: {
        [bdkLabels.instanceId]: instanceId,
        [bdkLabels.bookId]: instance.metadata.labels?.[bdkLabels.bookId] ?? '',
        [bdkLabels.managedBy]: managedByBdk,
        [bdkLabels.organizationId]: instance.spec.customer.organization_id,
        [bdkLabels.secretPurpose]: secretPurposes.credentials,
      },
      annotations: { 'bdk.voyager.io/instance': `${instance.metadata.namespace ?? ''}/${instance.metadata.name ?? ''}` },
    },
    stringData: Object.fromEntries(Object.entries(values).map(([name, value]) => [credentialSecretKey(name), value])),
  };
}

/** The labels of a customer namespace BDK manages for an organisation. */
export function customerNamespaceLabels(organizationId: string): Record<string, string> {
  return { [bdkLabels.managedBy]: managedByBdk, [bdkLabels.organizationId]: organizationId };
}

/** The audience of the controller's tokens (its BDK_INTERNAL_AUDIENCE default). */
export const internalAudience = 'bdk-book-controller';

/** A token of the ServiceAccount `name` (created when missing), as the kubelet would project it for the pod. */
export async function serviceAccountToken(kubeConfig: KubeConfig, namespace: string, name: string, audience = internalAudience): Promise<string> {
  await ensureServiceAccount(kubeConfig, namespace, name);
  return requestServiceAccountToken(kubeConfig, { namespace, name, audience });
}

/** A BookControllerService client on loopback; with a token, every call carries it as the bearer. */
export function controllerClient(grpcPort: number, token?: string): Client<typeof BookControllerService> {
  const interceptors = token === undefined ? [] : [bearerTokenInterceptor(async () => token)];
  return createClient(BookControllerService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${grpcPort}`, interceptors }));
}
