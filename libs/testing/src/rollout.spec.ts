import { describe, expect, it } from '@jest/globals';
import type { V1Deployment, V1DeploymentStatus } from '@kubernetes/client-node';
import { rolloutState } from './rollout.js';

function deployment(status: V1DeploymentStatus, { replicas = 2, generation = 3 } = {}): V1Deployment {
  return { metadata: { generation }, spec: { replicas, selector: {}, template: {} }, status };
}

const complete = { observedGeneration: 3, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 };

describe('rolloutState', () => {
  it('is complete when the current spec is observed and every replica is updated and available', () => {
    expect(rolloutState(deployment(complete))).toBe('complete');
    expect(rolloutState(deployment({ observedGeneration: 1 }, { replicas: 0, generation: 1 }))).toBe('complete');
  });

  it('is progressing while the status is about an older spec, whatever it says', () => {
    expect(rolloutState(deployment({ ...complete, observedGeneration: 2 }))).toBe('progressing');
    expect(rolloutState({ metadata: { generation: 1 }, spec: { selector: {}, template: {} } })).toBe('progressing');
  });

  it('is progressing while replicas are not updated, old ones remain or new ones are not available', () => {
    expect(rolloutState(deployment({ ...complete, updatedReplicas: 1 }))).toBe('progressing');
    expect(rolloutState(deployment({ ...complete, replicas: 3 }))).toBe('progressing');
    expect(rolloutState(deployment({ ...complete, availableReplicas: 1 }))).toBe('progressing');
  });

  it('is stalled once the Deployment reports ProgressDeadlineExceeded, not before', () => {
    const stalled = { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' };
    expect(rolloutState(deployment({ ...complete, availableReplicas: 0, conditions: [stalled] }))).toBe('stalled');
    expect(rolloutState(deployment({ ...complete, availableReplicas: 0, conditions: [{ ...stalled, status: 'True', reason: 'ReplicaSetUpdated' }] }))).toBe(
      'progressing',
    );
  });
});
