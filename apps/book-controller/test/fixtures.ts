// The seed's BookDefinition and BookInstanceDefinition (charts/bdk/examples), shaped as the library-service
// creates them: ids as labels, names derived with @bdk/k8s, credentials pointing at the instance's Secret.
import {
  bdkLabels,
  bookDefinitionResource,
  bookInstanceDefinitionResource,
  bookInstanceName,
  credentialSecretKey,
  credentialsSecretName,
  managedByBdk,
  type BookDefinition,
  type BookInstanceDefinition,
} from '@bdk/k8s';
import { loadYaml } from '@kubernetes/client-node';
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

export function seedInstance(options: { namespace: string; customerNamespace: string; book: BookDefinition; instanceId: string }): BookInstanceDefinition {
  const instance = example<BookInstanceDefinition>('book-instance-definition.yaml');
  const { book, instanceId } = options;
  const secret = credentialsSecretName(book.spec.name, instanceId);
  return {
    apiVersion: bookInstanceDefinitionResource.apiVersion,
    kind: bookInstanceDefinitionResource.kind,
    metadata: {
      name: bookInstanceName(options.customerNamespace, book.spec.name, instanceId),
      namespace: options.namespace,
      labels: { [bdkLabels.instanceId]: instanceId, [bdkLabels.bookId]: book.metadata.labels?.[bdkLabels.bookId] ?? '' },
    },
    spec: {
      ...instance.spec,
      bookRef: { name: book.metadata.name ?? '', version: book.spec.version },
      customer: { ...instance.spec.customer, namespace: options.customerNamespace },
      credentials: (instance.spec.credentials ?? []).map((c) => ({ ...c, secretRef: { name: secret, key: credentialSecretKey(c.name) } })),
    },
  };
}

/** The credentials Secret as the library-service writes it. */
export function credentialsSecret(instance: BookInstanceDefinition, book: BookDefinition, values: Record<string, string>): V1Secret {
  const instanceId = instance.metadata.labels?.[bdkLabels.instanceId] ?? '';
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: credentialsSecretName(book.spec.name, instanceId),
      namespace: instance.spec.customer.namespace,
      labels: { [bdkLabels.instanceId]: instanceId, [bdkLabels.bookId]: instance.metadata.labels?.[bdkLabels.bookId] ?? '', [bdkLabels.managedBy]: managedByBdk },
      annotations: { 'bdk.voyager.io/instance': `${instance.metadata.namespace ?? ''}/${instance.metadata.name ?? ''}` },
    },
    stringData: Object.fromEntries(Object.entries(values).map(([name, value]) => [credentialSecretKey(name), value])),
  };
}
