import { describe, expect, it } from '@jest/globals';
import type { V1Deployment, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import { observeRollout, revisionAnnotation, templateHashLabel } from './rollout-health.js';
import { planRollback, rollbackTemplate } from './rollback.js';

const deployment = (overrides: { revision?: number; replicas?: number; generation?: number; status?: V1Deployment['status'] } = {}): V1Deployment => ({
  metadata: { name: 'book', uid: 'dep-uid', generation: overrides.generation ?? 2, annotations: { [revisionAnnotation]: String(overrides.revision ?? 2) } },
  spec: { replicas: overrides.replicas ?? 2, selector: {}, template: {} },
  status: overrides.status ?? { observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2, readyReplicas: 2 },
});
const replicaSet = (revision: number, hash: string, image = `book:${revision}`): V1ReplicaSet => ({
  metadata: { name: `book-${hash}`, labels: { [templateHashLabel]: hash, app: 'book' }, annotations: { [revisionAnnotation]: String(revision) }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'book', uid: 'dep-uid' }] },
  spec: { selector: {}, template: { metadata: { labels: { [templateHashLabel]: hash, app: 'book' } }, spec: { containers: [{ name: 'book', image }] } } },
});
const pod = (hash: string, ready: boolean, waiting?: { reason: string; restarts: number }): V1Pod => ({
  metadata: { name: `book-${hash}-${Math.random().toString(36).slice(2, 7)}`, labels: { [templateHashLabel]: hash } },
  status: {
    conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    containerStatuses: [
      { name: 'book', ready, restartCount: waiting?.restarts ?? 0, image: 'book', imageID: '', state: waiting ? { waiting: { reason: waiting.reason } } : { running: {} } },
    ],
  },
});
const sets = [replicaSet(1, 'old'), replicaSet(2, 'new')];

describe('observeRollout', () => {
  it('is ready only when every wanted Pod of the current template is Ready and no old Pod is left', () => {
    expect(observeRollout(deployment(), sets, [pod('new', true), pod('new', true)]).observation).toMatchObject({ status: 'True', reason: 'ReplicasReady' });
    // The Deployment's counters say done, the Pods do not.
    expect(observeRollout(deployment(), sets, [pod('new', true), pod('new', false)]).observation).toMatchObject({ status: 'False', reason: 'ReplicasNotReady' });
    // A Ready Pod of the previous template does not count for the current one.
    const mixed = observeRollout(deployment(), sets, [pod('new', true), pod('old', true)]);
    expect(mixed.observation.status).toBe('False');
    expect(mixed).toMatchObject({ readyPods: 1, totalPods: 2 });
  });

  it('is ready with no Pods when zero replicas are wanted', () => {
    const zero = deployment({ replicas: 0, status: { observedGeneration: 2, replicas: 0 } });
    expect(observeRollout(zero, sets, []).observation.status).toBe('True');
  });

  it('waits while the Deployment controller has not seen the latest generation', () => {
    expect(observeRollout(deployment({ generation: 3 }), sets, [pod('new', true), pod('new', true)]).observation.reason).toBe('DeploymentProgressing');
  });

  it('reports a failure on ProgressDeadlineExceeded and on a crash-looping Pod of the current template', () => {
    const stalled = deployment({
      status: { observedGeneration: 2, replicas: 3, updatedReplicas: 1, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "book-new" has timed out progressing.' }] },
    });
    expect(observeRollout(stalled, sets, []).failure?.reason).toBe('ProgressDeadlineExceeded');
    const looping = observeRollout(deployment(), sets, [pod('new', false, { reason: 'CrashLoopBackOff', restarts: 3 }), pod('old', true)]);
    expect(looping.failure).toMatchObject({ reason: 'CrashLoopBackOff' });
    expect(looping.observation).toMatchObject({ status: 'False', reason: 'CrashLoopBackOff' });
    // One restart is not yet a loop; a crash-looping Pod of the old template is not this rollout's failure.
    expect(observeRollout(deployment(), sets, [pod('new', false, { reason: 'CrashLoopBackOff', restarts: 1 })]).failure).toBeUndefined();
    expect(observeRollout(deployment(), sets, [pod('new', true), pod('new', true), pod('old', false, { reason: 'CrashLoopBackOff', restarts: 9 })]).failure).toBeUndefined();
  });

  it('says the Deployment is not there yet', () => {
    expect(observeRollout(undefined, [], []).observation).toMatchObject({ status: 'Unknown', reason: 'DeploymentNotCreated' });
  });
});

describe('planRollback', () => {
  it('goes back to the newest earlier ReplicaSet, whose template it takes without the pod-template-hash label', () => {
    // As cached: no templates.
    const cached = [replicaSet(1, 'first'), replicaSet(2, 'second'), replicaSet(3, 'third')].map(({ spec, ...rest }) => ({ ...rest, spec: { selector: spec?.selector ?? {} } }));
    expect(planRollback(deployment({ revision: 3 }), cached)).toEqual({ replicaSet: 'book-second', revision: 2 });
    const template = rollbackTemplate(replicaSet(2, 'second'));
    expect(template?.metadata?.labels).toEqual({ app: 'book' });
    expect(template?.spec?.containers[0]?.image).toBe('book:2');
    expect(rollbackTemplate({ metadata: { name: 'gone' } })).toBeUndefined();
  });

  it('has nothing to go back to on a first rollout, or among ReplicaSets of another Deployment', () => {
    expect(planRollback(deployment({ revision: 1 }), [replicaSet(1, 'first')])).toBeUndefined();
    const foreign = { ...replicaSet(1, 'x'), metadata: { ...replicaSet(1, 'x').metadata, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'other', uid: 'other-uid' }] } };
    expect(planRollback(deployment({ revision: 2 }), [foreign, replicaSet(2, 'new')])).toBeUndefined();
  });
});
