import { create, fromJson } from '@bufbuild/protobuf';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { CreateBookInstanceRequestSchema, type BookInstance } from '@bdk/proto';
import { bdkLabels, type BookDefinition, type BookInstanceDefinition } from '@bdk/k8s';
import { workspaceRoot } from '@bdk/testing';
import { instanceFromDefinition, instanceSpecFromRequest } from './instance-mapping.js';

const example = (file: string): unknown => parse(readFileSync(path.join(workspaceRoot, 'charts/bdk/examples', file), 'utf8'));
// The spec's examples, as stored in the chart.
const seedBook = example('book-definition.yaml') as BookDefinition;
const seedInstance = example('book-instance-definition.yaml') as BookInstanceDefinition;
const secretName = 'customer-support-0b7c4d2e-credentials';
const labels = {
  [bdkLabels.instanceId]: '0b7c4d2e-5f7a-4c1e-8d8e-6f1a2b3c4d5e',
  [bdkLabels.bookId]: 'b7d1f6c2-0c7e-4a8e-9a43-2b1f0f6e9d11',
  [bdkLabels.bookName]: 'customer-support',
};

function requestFrom(instance: BookInstance) {
  return create(CreateBookInstanceRequestSchema, {
    bookId: instance.bookId,
    customerNamespace: instance.customerNamespace,
    organizationId: instance.organizationId,
    deployment: instance.deployment,
    networking: instance.networking,
    credentials: instance.credentials.map(({ name, type, source }) => ({ name, type, source })),
    configuration: instance.configuration,
  });
}

describe('instanceFromDefinition and instanceSpecFromRequest', () => {
  it("round-trip the spec's BookInstanceDefinition example, adding only the Secret references", () => {
    const instance = instanceFromDefinition({ ...seedInstance, metadata: { ...seedInstance.metadata, labels } });
    expect(instance).toMatchObject({
      instanceId: labels[bdkLabels.instanceId],
      bookId: labels[bdkLabels.bookId],
      bookRef: { name: 'customer-support', version: '1.0.0' },
      customerNamespace: 'customer-acme',
      organizationId: 'org-uuid-123',
      configuration: { customSettings: { max_tickets_per_hour: 100, escalation_threshold: 24 } },
    });
    const spec = instanceSpecFromRequest(requestFrom(instance), seedBook, secretName);
    expect(spec).toEqual({
      ...seedInstance.spec,
      credentials: seedInstance.spec.credentials?.map((credential) => ({
        ...credential,
        secretRef: { name: secretName, key: credential.name },
      })),
    });
  });

  it("maps the spec's status: phase, replica counts and conditions", () => {
    const status = instanceFromDefinition(seedInstance).status;
    expect(status).toMatchObject({ phase: 'Ready', deploymentStatus: { readyReplicas: 2, totalReplicas: 2 } });
    expect(status?.conditions.map((condition) => [condition.type, condition.status])).toEqual([['DeploymentReady', 'True']]);
    const lastTransition = status?.conditions[0]?.lastTransition;
    expect(lastTransition && timestampDate(lastTransition).toISOString()).toBe('2024-01-01T00:00:00.000Z');
  });

  it('reads an instance the controller has not reconciled yet as Pending', () => {
    const { status: _status, ...unreconciled } = seedInstance;
    expect(instanceFromDefinition(unreconciled as BookInstanceDefinition).status?.phase).toBe('Pending');
  });

  it("stores the spec's POST /api/v1/books/{book_id}/instances body with references in place of values", () => {
    const request = fromJson(CreateBookInstanceRequestSchema, {
      customer_namespace: 'customer-acme',
      organization_id: 'org-uuid-123',
      deployment: { type: 'primary', replicas: 2 },
      networking: { tailscale: { enabled: true, tailnet: 'acme-corp' } },
      credentials: [{ name: 'zendesk_api_key', value: 'encrypted_api_key' }],
    });
    const spec = instanceSpecFromRequest(request, seedBook, secretName);
    expect(spec).toEqual({
      bookRef: { name: 'customer-support-book', version: '1.0.0' },
      customer: { namespace: 'customer-acme', organization_id: 'org-uuid-123' },
      deployment: { type: 'primary', replicas: 2 },
      networking: { tailscale: { enabled: true, tailnet: 'acme-corp' } },
      credentials: [{ name: 'zendesk_api_key', type: 'secret', source: 'external', secretRef: { name: secretName, key: 'zendesk_api_key' } }],
    });
    expect(JSON.stringify(spec)).not.toContain('encrypted_api_key');
  });

  it('stores autoscaling as the CRD has it, leaving unset targets to its defaults, and reads it back', () => {
    const request = fromJson(CreateBookInstanceRequestSchema, {
      customer_namespace: 'customer-acme',
      organization_id: 'org-uuid-123',
      deployment: { type: 'primary', replicas: 2, autoscaling: { min_replicas: 2, max_replicas: 5, target_cpu_utilization: 70 } },
    });
    const spec = instanceSpecFromRequest(request, seedBook, secretName);
    expect(spec.deployment).toEqual({ type: 'primary', replicas: 2, autoscaling: { min_replicas: 2, max_replicas: 5, target_cpu_utilization: 70 } });
    const bare = instanceSpecFromRequest(fromJson(CreateBookInstanceRequestSchema, { customer_namespace: 'c', organization_id: 'o', deployment: { autoscaling: { max_replicas: 3 } } }), seedBook, secretName);
    expect(bare.deployment?.autoscaling).toEqual({ max_replicas: 3 });
    const read = instanceFromDefinition({ ...seedInstance, spec: { ...seedInstance.spec, deployment: { type: 'primary', replicas: 2, autoscaling: { max_replicas: 3 } } } });
    expect(read.deployment?.autoscaling).toMatchObject({ minReplicas: 1, maxReplicas: 3, targetCpuUtilization: 80, targetWebhookBacklog: 0 });
  });

  it('shows a rollback the controller made, and the summary Ready condition', () => {
    const rolledBack = instanceFromDefinition({
      ...seedInstance,
      status: {
        phase: 'Failed',
        conditions: [{ type: 'Ready', status: 'False', reason: 'RolledBack', message: 'rolled back', last_transition: '2024-01-02T00:00:00Z', lastTransitionTime: '2024-01-02T00:00:00Z' }],
        rollback: { failed_spec_hash: 'abc123', revision: '3', reason: 'ProgressDeadlineExceeded', at: '2024-01-02T00:00:00Z' },
      },
    });
    expect(rolledBack.status?.rollback).toMatchObject({ failedSpecHash: 'abc123', revision: '3', reason: 'ProgressDeadlineExceeded' });
    expect(rolledBack.status?.conditions[0]).toMatchObject({ type: 'Ready', status: 'False', reason: 'RolledBack' });
  });

  it('leaves replicas 0 (unset in proto3) to the CRD default', () => {
    const request = create(CreateBookInstanceRequestSchema, { customerNamespace: 'c', organizationId: 'o', deployment: { type: 'shared' } });
    expect(instanceSpecFromRequest(request, seedBook, secretName).deployment).toEqual({ type: 'shared' });
  });
});
