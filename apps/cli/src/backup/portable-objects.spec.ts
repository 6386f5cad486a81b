import { describe, expect, it } from '@jest/globals';
import { portableBook, portableInstance, portableNamespace, portableSecret, resourceToCreate } from './portable-objects.js';

const clusterMetadata = {
  uid: '0b7c4c9e-0000-4000-8000-000000000001',
  resourceVersion: '42',
  generation: 3,
  creationTimestamp: '2026-11-27T00:00:00Z',
  managedFields: [{ manager: 'bdk-library-service' }],
  ownerReferences: [{ apiVersion: 'v1', kind: 'Namespace', name: 'customer-acme', uid: 'old-cluster' }],
  finalizers: ['bdk.voyager.io/cleanup'],
};

describe('portable objects', () => {
  it('keeps a book\u2019s name, labels, annotations and spec, nothing the cluster assigned', () => {
    const book = {
      apiVersion: 'bdk.voyager.io/v1',
      kind: 'BookDefinition',
      metadata: {
        ...clusterMetadata,
        name: 'customer-support-1-0-0',
        namespace: 'bdk',
        labels: { 'bdk.voyager.io/book-id': 'book-uuid', 'bdk.voyager.io/book-name': 'customer-support' },
        annotations: { 'bdk.voyager.io/created-at': '2026-11-27T00:00:00Z', 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
      },
      spec: { name: 'customer-support', version: '1.0.0' },
      status: { phase: 'Ready' },
    };
    expect(portableBook(book)).toEqual({
      apiVersion: 'bdk.voyager.io/v1',
      kind: 'BookDefinition',
      metadata: {
        name: 'customer-support-1-0-0',
        namespace: 'bdk',
        labels: { 'bdk.voyager.io/book-id': 'book-uuid', 'bdk.voyager.io/book-name': 'customer-support' },
        annotations: { 'bdk.voyager.io/created-at': '2026-11-27T00:00:00Z' },
      },
      spec: { name: 'customer-support', version: '1.0.0' },
    });
  });

  it('gives an object known by its uid alone that uid as its id label, since a new cluster gives it another uid', () => {
    const applied = { metadata: { ...clusterMetadata, name: 'acme-customer-support' }, spec: {} };
    expect(portableInstance(applied).metadata.labels).toEqual({ 'bdk.voyager.io/instance-id': clusterMetadata.uid });
    expect(portableBook(applied).metadata.labels).toEqual({ 'bdk.voyager.io/book-id': clusterMetadata.uid });
    // A label that is set wins over the uid.
    const labelled = { metadata: { ...clusterMetadata, name: 'x', labels: { 'bdk.voyager.io/instance-id': 'api-id' } }, spec: {} };
    expect(portableInstance(labelled).metadata.labels['bdk.voyager.io/instance-id']).toBe('api-id');
  });

  it('creates in the namespace restored into, without finalizers or status', () => {
    const instance = portableInstance({ metadata: { ...clusterMetadata, name: 'i', namespace: 'old-bdk' }, spec: { a: 1 } });
    expect(resourceToCreate(instance, 'bdk')).toEqual({
      apiVersion: 'bdk.voyager.io/v1',
      kind: 'BookInstanceDefinition',
      metadata: { name: 'i', namespace: 'bdk', labels: { 'bdk.voyager.io/instance-id': clusterMetadata.uid }, annotations: {} },
      spec: { a: 1 },
    });
  });

  it('keeps a namespace\u2019s organisation, not the label the apiserver sets itself', () => {
    expect(
      portableNamespace({ metadata: { name: 'customer-acme', labels: { 'kubernetes.io/metadata.name': 'customer-acme', 'bdk.voyager.io/organization-id': 'org-acme' } } }),
    ).toEqual({ name: 'customer-acme', labels: { 'bdk.voyager.io/organization-id': 'org-acme' } });
  });

  it('keeps a Secret\u2019s type, labels and data', () => {
    const secret = portableSecret({
      metadata: { ...clusterMetadata, creationTimestamp: new Date(clusterMetadata.creationTimestamp), name: 's', namespace: 'customer-acme', labels: { 'bdk.voyager.io/secret-purpose': 'webhook-signing' } },
      type: 'Opaque',
      data: { zendesk: 'd2hzZWNf' },
    });
    expect(secret).toEqual({
      metadata: { name: 's', namespace: 'customer-acme', labels: { 'bdk.voyager.io/secret-purpose': 'webhook-signing' }, annotations: {} },
      type: 'Opaque',
      data: { zendesk: 'd2hzZWNf' },
    });
  });
});
