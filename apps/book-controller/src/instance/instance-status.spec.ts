import { describe, expect, it } from '@jest/globals';
import type { BookInstanceDefinition } from '@bdk/k8s';
import type { V1Deployment } from '@kubernetes/client-node';
import { ConditionReason } from './conditions.js';
import { desiredStatus, failure, statusChanged, type Observation } from './instance-status.js';

const t0 = new Date('2026-01-01T00:00:00Z');
const t1 = new Date('2026-01-01T00:05:00Z');
const bookFound: Observation = { status: 'True', reason: ConditionReason.BookFound, message: 'found' };
const bookMissing: Observation = { status: 'False', reason: ConditionReason.BookNotFound, message: 'BookDefinition x not found' };
const instance = (status?: BookInstanceDefinition['status']): BookInstanceDefinition => ({
  apiVersion: 'bdk.voyager.io/v1',
  kind: 'BookInstanceDefinition',
  metadata: { name: 'acme', namespace: 'bdk', generation: 4, uid: 'uid-1' },
  spec: { bookRef: { name: 'b', version: '1.0.0' }, customer: { namespace: 'customer-acme', organization_id: 'o' } },
  status,
});
const deployment = (ready: number, replicas = 2, observedGeneration = 1): V1Deployment => ({
  metadata: { generation: 1 },
  spec: { replicas, selector: {}, template: {} },
  status: { observedGeneration, readyReplicas: ready, replicas },
});

describe('desiredStatus', () => {
  it('is Pending until every replica is ready, then Ready, with observedGeneration on every condition', () => {
    const pending = desiredStatus({ instance: instance(), book: bookFound, deployment: deployment(1), now: t0 });
    expect(pending).toMatchObject({ phase: 'Pending', observedGeneration: 4, deployment_status: { ready_replicas: 1, total_replicas: 2 } });
    expect(pending.conditions?.every((c) => c.observedGeneration === 4)).toBe(true);
    const ready = desiredStatus({ instance: instance(pending), book: bookFound, deployment: deployment(2), now: t1 });
    expect(ready.phase).toBe('Ready');
    expect(ready.conditions?.find((c) => c.type === 'DeploymentReady')).toMatchObject({ status: 'True', last_transition: t1.toISOString() });
    // BookResolved did not flip: its transition time stays.
    expect(ready.conditions?.find((c) => c.type === 'BookResolved')?.last_transition).toBe(t0.toISOString());
  });

  it('does not count a Deployment whose latest spec the Deployment controller has not seen', () => {
    const stale = { ...deployment(2), metadata: { generation: 2 } };
    const status = desiredStatus({ instance: instance(), book: bookFound, deployment: stale, now: t0 });
    expect(status.phase).toBe('Pending');
    expect(status.conditions?.find((c) => c.type === 'DeploymentReady')?.reason).toBe(ConditionReason.DeploymentProgressing);
  });

  it('is Updating when a Ready instance falls behind, and Failed without its book', () => {
    expect(desiredStatus({ instance: instance({ phase: 'Ready' }), book: bookFound, deployment: deployment(2, 3), now: t0 }).phase).toBe('Updating');
    const failed = desiredStatus({ instance: instance(), book: bookMissing, now: t0 });
    expect(failed.phase).toBe('Failed');
    expect(failed.conditions?.find((c) => c.type === 'BookResolved')).toMatchObject({ status: 'False', reason: 'BookNotFound' });
  });
});

describe('the NamespaceAvailable condition', () => {
  const notOwned: Observation = { status: 'False', reason: ConditionReason.NamespaceNotOwned, message: 'namespace customer-acme belongs to another organisation' };
  const owned: Observation = { status: 'True', reason: ConditionReason.NamespaceOwned, message: 'managed by BDK for org o' };

  it('makes the instance Failed while the namespace may not be written, whatever the Deployment says', () => {
    const failed = desiredStatus({ instance: instance({ phase: 'Ready' }), book: bookFound, namespace: notOwned, deployment: deployment(2), now: t0 });
    expect(failed.phase).toBe('Failed');
    expect(failed.conditions?.find((c) => c.type === 'NamespaceAvailable')).toMatchObject({ status: 'False', reason: 'NamespaceNotOwned', observedGeneration: 4 });
    expect(failure({ book: bookFound, namespace: notOwned })).toBe(notOwned);
  });

  it('is recorded True once the namespace is usable, and absent when it was not checked', () => {
    const ready = desiredStatus({ instance: instance(), book: bookFound, namespace: owned, deployment: deployment(2), now: t0 });
    expect(ready.phase).toBe('Ready');
    expect(ready.conditions?.find((c) => c.type === 'NamespaceAvailable')).toMatchObject({ status: 'True', reason: 'NamespaceOwned' });
    expect(desiredStatus({ instance: instance(), book: bookMissing, now: t0 }).conditions?.map((c) => c.type)).not.toContain('NamespaceAvailable');
    expect(failure({ book: bookFound, namespace: owned })).toBeUndefined();
    expect(failure({ book: bookMissing, namespace: notOwned })).toBe(bookMissing);
  });
});

describe('statusChanged', () => {
  it('ignores last_updated and nothing else', () => {
    const first = desiredStatus({ instance: instance(), book: bookFound, deployment: deployment(1), now: t0 });
    const again = desiredStatus({ instance: instance(first), book: bookFound, deployment: deployment(1), now: t1 });
    expect(statusChanged(first, again)).toBe(false);
    const moved = desiredStatus({ instance: instance(first), book: bookFound, deployment: deployment(2), now: t1 });
    expect(statusChanged(first, moved)).toBe(true);
  });
});
