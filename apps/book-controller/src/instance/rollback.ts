// Rolling a failed rollout back to the template that ran before it, as `kubectl rollout undo` does: the previous
// ReplicaSet's pod template goes back into the Deployment. The instance's status then records which spec failed
// (the applied hash of the Deployment built from it), and the reconcile leaves the Deployment alone until the spec
// changes again.
import type { BookInstanceDefinitionStatus } from '@bdk/k8s';
import type { V1Deployment, V1PodTemplateSpec, V1ReplicaSet } from '@kubernetes/client-node';
import { appliedHashAnnotation } from './applied-hash.js';
import { currentReplicaSet, ownedReplicaSets, revisionOf, templateHashLabel, type RolloutFailure } from './rollout-health.js';

export type RollbackRecord = NonNullable<BookInstanceDefinitionStatus['rollback']>;

export interface RollbackPlan {
  /**
   * The ReplicaSet whose template goes back. The cache keeps no templates (cache-transforms): the ReplicaSet is read
   * when a rollback needs it.
   */
  replicaSet: string;
  /** The revision it ran as. */
  revision: number;
}

/** The newest ReplicaSet before the current one, whose template the Deployment goes back to; undefined when there is none. */
export function planRollback(deployment: V1Deployment, replicaSets: readonly V1ReplicaSet[]): RollbackPlan | undefined {
  const current = currentReplicaSet(deployment, replicaSets);
  const previous = ownedReplicaSets(deployment, replicaSets).find((rs) => rs !== current && revisionOf(rs) > 0);
  return previous?.metadata?.name ? { replicaSet: previous.metadata.name, revision: revisionOf(previous) } : undefined;
}

/** The ReplicaSet's pod template as the Deployment takes it back: without the pod-template-hash label. */
export function rollbackTemplate(replicaSet: V1ReplicaSet): V1PodTemplateSpec | undefined {
  const template = replicaSet.spec?.template;
  if (!template) return undefined;
  const { [templateHashLabel]: _hash, ...labels } = template.metadata?.labels ?? {};
  return { ...template, metadata: { ...template.metadata, labels } };
}

/** The applied hash of the Deployment as built from the spec, the key a rollback record is kept under. */
export function specHashOf(deployment: V1Deployment): string {
  return deployment.metadata?.annotations?.[appliedHashAnnotation] ?? '';
}

export function rollbackRecord(desired: V1Deployment, plan: RollbackPlan, failure: RolloutFailure, now: Date): RollbackRecord {
  return { failed_spec_hash: specHashOf(desired), revision: String(plan.revision), reason: failure.reason, at: now.toISOString() };
}

/** Whether the spec the Deployment is built from now is the one that failed and was rolled back. */
export function heldBack(record: RollbackRecord | undefined, desired: V1Deployment): boolean {
  return record?.failed_spec_hash !== undefined && record.failed_spec_hash === specHashOf(desired);
}
