import { describe, expect, it } from '@jest/globals';
import { bdkLabels, type BookInstanceDefinition } from '@bdk/k8s';
import { failoverTarget, primaryOf, sharedWorkloadName, sharedWorkloadOf, sharingInstances } from './placement.js';

type Type = 'primary' | 'secondary' | 'shared';
const instance = (name: string, type: Type, options: { ready?: boolean; org?: string; namespace?: string; version?: string; created?: string; deleting?: boolean } = {}): BookInstanceDefinition => ({
  apiVersion: 'bdk.voyager.io/v1',
  kind: 'BookInstanceDefinition',
  metadata: {
    name,
    namespace: 'bdk',
    uid: `uid-${name}`,
    labels: { [bdkLabels.instanceId]: `id-${name}`, [bdkLabels.organizationId]: options.org ?? 'org-a' },
    creationTimestamp: new Date(options.created ?? '2026-01-01T00:00:00Z'),
    ...(options.deleting ? { deletionTimestamp: new Date('2026-01-02T00:00:00Z') } : {}),
  },
  spec: {
    bookRef: { name: 'support', version: options.version ?? '1.0.0' },
    customer: { namespace: options.namespace ?? 'customer-acme', organization_id: options.org ?? 'org-a' },
    deployment: { type },
  },
  status: { conditions: [{ type: 'Ready', status: options.ready === false ? 'False' : 'True', last_transition: '2026-01-01T00:00:00Z' }] },
});

describe('failoverTarget', () => {
  it('keeps a Ready primary, and hands a primary that is not Ready to its oldest Ready secondary', () => {
    const primary = instance('p', 'primary', { ready: false });
    const late = instance('s2', 'secondary', { created: '2026-01-03T00:00:00Z' });
    const early = instance('s1', 'secondary', { created: '2026-01-02T00:00:00Z' });
    expect(failoverTarget(instance('p', 'primary'), [late, early])).toMatchObject({ metadata: { name: 'p' } });
    expect(failoverTarget(primary, [primary, late, early])).toBe(early);
  });

  it('never fails over to another organisation, customer namespace or book, nor to a secondary that is not Ready', () => {
    const primary = instance('p', 'primary', { ready: false });
    const others = [
      instance('other-org', 'secondary', { org: 'org-b' }),
      instance('other-ns', 'secondary', { namespace: 'customer-other' }),
      { ...instance('other-book', 'secondary'), spec: { ...instance('x', 'secondary').spec, bookRef: { name: 'billing', version: '1.0.0' } } },
      instance('down', 'secondary', { ready: false }),
      instance('leaving', 'secondary', { deleting: true }),
    ];
    expect(failoverTarget(primary, others)).toBe(primary);
  });

  it('leaves a trigger addressed to a secondary or a shared instance where it is', () => {
    const secondary = instance('s', 'secondary', { ready: false });
    expect(failoverTarget(secondary, [instance('s2', 'secondary')])).toBe(secondary);
    expect(primaryOf(secondary, [instance('p', 'primary'), instance('q', 'primary', { org: 'org-b' })])?.metadata.name).toBe('p');
  });
});

describe('shared workloads', () => {
  it('are one per book version, named as a DNS label', () => {
    expect(sharedWorkloadName('support', '1.0.0')).toBe('support-1-0-0-shared');
    const long = sharedWorkloadName('a'.repeat(60), '1.0.0-rc.1+build.5');
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(sharedWorkloadName('a'.repeat(60), '1.0.0-rc.2')).not.toBe(long);
    expect(sharedWorkloadOf(instance('p', 'primary'))).toBeUndefined();
  });

  it('serve the live shared instances of their version, across organisations', () => {
    const all = [
      instance('a', 'shared'),
      instance('b', 'shared', { org: 'org-b', namespace: 'customer-b' }),
      instance('c', 'shared', { version: '2.0.0' }),
      instance('d', 'shared', { deleting: true }),
      instance('e', 'primary'),
    ];
    expect(sharingInstances('support-1-0-0-shared', all).map((i) => i.metadata.name)).toEqual(['a', 'b']);
  });
});
