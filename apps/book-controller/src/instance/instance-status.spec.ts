import { describe, expect, it } from '@jest/globals';
import type { BookInstanceDefinition } from '@bdk/k8s';
import { ConditionReason } from './conditions.js';
import { desiredStatus, failure, statusChanged, type Observation } from './instance-status.js';
import type { RolloutHealth } from './rollout-health.js';

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
const rollout = (ready: number, wanted = 2): RolloutHealth => ({
  observation:
    ready >= wanted
      ? { status: 'True', reason: ConditionReason.ReplicasReady, message: `${ready}/${wanted}` }
      : { status: 'False', reason: ConditionReason.ReplicasNotReady, message: `${ready}/${wanted}` },
  readyPods: ready,
  totalPods: wanted,
});
const notCreated: RolloutHealth = { observation: { status: 'Unknown', reason: ConditionReason.DeploymentNotCreated, message: 'no Deployment' }, readyPods: 0, totalPods: 0 };
const condition = (status: ReturnType<typeof desiredStatus>, type: string) => status.conditions?.find((c) => c.type === type);

describe('desiredStatus', () => {
  it('records the version the instance runs, and keeps the last one while no book resolves', () => {
    const resolvedBook = { metadata: { name: 'customer-support-1-1-0' }, spec: { name: 'customer-support', version: '1.1.0' } };
    const running = desiredStatus({ instance: instance(), book: bookFound, resolvedBook, rollout: rollout(2), now: t0 });
    expect(running).toMatchObject({ resolved_version: '1.1.0', resolved_book: 'customer-support-1-1-0' });
    const unresolved = desiredStatus({ instance: instance(running), book: bookMissing, rollout: rollout(2), now: t1 });
    expect(unresolved).toMatchObject({ phase: 'Failed', resolved_version: '1.1.0', resolved_book: 'customer-support-1-1-0' });
    expect(desiredStatus({ instance: instance(), book: bookMissing, rollout: notCreated, now: t0 }).resolved_version).toBeUndefined();
  });

  it('is Pending until every replica is ready, then Ready, with observedGeneration on every condition', () => {
    const pending = desiredStatus({ instance: instance(), book: bookFound, rollout: rollout(1), now: t0 });
    expect(pending).toMatchObject({ phase: 'Pending', observedGeneration: 4, deployment_status: { ready_replicas: 1, total_replicas: 2 } });
    expect(pending.conditions?.every((c) => c.observedGeneration === 4)).toBe(true);
    const ready = desiredStatus({ instance: instance(pending), book: bookFound, rollout: rollout(2), now: t1 });
    expect(ready.phase).toBe('Ready');
    expect(condition(ready, 'DeploymentReady')).toMatchObject({ status: 'True', last_transition: t1.toISOString(), lastTransitionTime: t1.toISOString() });
    // BookResolved did not flip: its transition time stays.
    expect(condition(ready, 'BookResolved')?.last_transition).toBe(t0.toISOString());
  });

  it('keeps a summary Ready condition that kubectl wait can read, naming what stands in the way', () => {
    const pending = desiredStatus({ instance: instance(), book: bookFound, rollout: rollout(1), now: t0 });
    expect(condition(pending, 'Ready')).toMatchObject({ status: 'False', reason: 'ReplicasNotReady', message: '1/2', lastTransitionTime: t0.toISOString() });
    const ready = desiredStatus({ instance: instance(pending), book: bookFound, rollout: rollout(2), now: t1 });
    expect(condition(ready, 'Ready')).toMatchObject({ status: 'True', reason: 'InstanceReady', observedGeneration: 4, lastTransitionTime: t1.toISOString() });
    const missingSecret: Observation = { status: 'False', reason: ConditionReason.SecretNotFound, message: 'Secret customer-acme/x not found' };
    const waiting = desiredStatus({ instance: instance(), book: bookFound, credentials: missingSecret, rollout: notCreated, now: t0 });
    expect(condition(waiting, 'Ready')).toMatchObject({ status: 'False', reason: 'SecretNotFound' });
  });

  it('is Updating when a Ready instance falls behind, and Failed without its book', () => {
    expect(desiredStatus({ instance: instance({ phase: 'Ready' }), book: bookFound, rollout: rollout(2, 3), now: t0 }).phase).toBe('Updating');
    const failed = desiredStatus({ instance: instance(), book: bookMissing, rollout: notCreated, now: t0 });
    expect(failed.phase).toBe('Failed');
    expect(condition(failed, 'BookResolved')).toMatchObject({ status: 'False', reason: 'BookNotFound' });
    expect(condition(failed, 'Ready')).toMatchObject({ status: 'False', reason: 'BookNotFound' });
  });

  it('is Failed while rolled back, with the record in the status, however ready the earlier template is', () => {
    const rollback = { failed_spec_hash: 'abc', revision: '2', reason: 'CrashLoopBackOff', at: t0.toISOString() };
    const status = desiredStatus({ instance: instance({ phase: 'Updating' }), book: bookFound, rollout: rollout(2), rollback, now: t0 });
    expect(status).toMatchObject({ phase: 'Failed', rollback });
    expect(condition(status, 'DeploymentReady')?.status).toBe('True');
    expect(condition(status, 'Ready')).toMatchObject({ status: 'False', reason: 'RolledBack' });
    expect(condition(status, 'Ready')?.message).toContain('revision 2');
  });

  it('is Suspended while suspended, with Ready False saying so, unless it cannot run at all', () => {
    const status = desiredStatus({ instance: instance({ phase: 'Ready' }), book: bookFound, rollout: rollout(0, 0), suspended: true, now: t0 });
    expect(status.phase).toBe('Suspended');
    expect(condition(status, 'Ready')).toMatchObject({ status: 'False', reason: 'Suspended' });
    expect(desiredStatus({ instance: instance(), book: bookMissing, rollout: notCreated, suspended: true, now: t0 }).phase).toBe('Failed');
  });

  it('is Failed when a rollout failed with nothing to roll back to', () => {
    const stuck: RolloutHealth = { ...rollout(0), failure: { reason: ConditionReason.CrashLoopBackOff, message: 'container book is in CrashLoopBackOff' } };
    const status = desiredStatus({ instance: instance(), book: bookFound, rollout: stuck, now: t0 });
    expect(status.phase).toBe('Failed');
    expect(condition(status, 'Ready')).toMatchObject({ status: 'False', reason: 'RolloutFailed' });
  });
});

describe('the NamespaceAvailable condition', () => {
  const notOwned: Observation = { status: 'False', reason: ConditionReason.NamespaceNotOwned, message: 'namespace customer-acme belongs to another organisation' };
  const owned: Observation = { status: 'True', reason: ConditionReason.NamespaceOwned, message: 'managed by BDK for org o' };

  it('makes the instance Failed while the namespace may not be written, whatever the Deployment says', () => {
    const failed = desiredStatus({ instance: instance({ phase: 'Ready' }), book: bookFound, namespace: notOwned, rollout: rollout(2), now: t0 });
    expect(failed.phase).toBe('Failed');
    expect(condition(failed, 'NamespaceAvailable')).toMatchObject({ status: 'False', reason: 'NamespaceNotOwned', observedGeneration: 4 });
    expect(failure({ book: bookFound, namespace: notOwned, rollout: rollout(2) })).toBe(notOwned);
  });

  it('is recorded True once the namespace is usable, and absent when it was not checked', () => {
    const ready = desiredStatus({ instance: instance(), book: bookFound, namespace: owned, rollout: rollout(2), now: t0 });
    expect(ready.phase).toBe('Ready');
    expect(condition(ready, 'NamespaceAvailable')).toMatchObject({ status: 'True', reason: 'NamespaceOwned' });
    expect(desiredStatus({ instance: instance(), book: bookMissing, rollout: notCreated, now: t0 }).conditions?.map((c) => c.type)).not.toContain('NamespaceAvailable');
    expect(failure({ book: bookFound, namespace: owned, rollout: rollout(2) })).toBeUndefined();
    expect(failure({ book: bookMissing, namespace: notOwned, rollout: rollout(2) })).toBe(bookMissing);
  });
});

describe('statusChanged', () => {
  it('ignores last_updated and nothing else', () => {
    const first = desiredStatus({ instance: instance(), book: bookFound, rollout: rollout(1), now: t0 });
    const again = desiredStatus({ instance: instance(first), book: bookFound, rollout: rollout(1), now: t1 });
    expect(statusChanged(first, again)).toBe(false);
    const moved = desiredStatus({ instance: instance(first), book: bookFound, rollout: rollout(2), now: t1 });
    expect(statusChanged(first, moved)).toBe(true);
  });
});
