// How the book's rollout stands, from the Deployment, its ReplicaSets and the Pods themselves: ready only when every
// wanted replica runs the current template and its Pod reports Ready, and failed when the Deployment controller
// gives up (ProgressDeadlineExceeded) or a Pod of the current template crash-loops. Pure, so every rule is
// unit-tested without a cluster.
import type { V1Deployment, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import { ConditionReason } from './conditions.js';
import type { Observation } from './instance-status.js';

/** The revision the Deployment controller stamps on a Deployment and on each of its ReplicaSets. */
export const revisionAnnotation = 'deployment.kubernetes.io/revision';
/** The label that ties a Pod to the ReplicaSet (template) it was made from. */
export const templateHashLabel = 'pod-template-hash';
/** Restarts of one container in CrashLoopBackOff after which the rollout is judged failed without waiting for the deadline. */
export const crashLoopRestarts = 3;

export interface RolloutFailure {
  reason: typeof ConditionReason.ProgressDeadlineExceeded | typeof ConditionReason.CrashLoopBackOff;
  message: string;
}

export interface RolloutHealth {
  /** The DeploymentReady condition. */
  observation: Observation;
  /** Pods of the current template that are Ready, and Pods of any template that are not being deleted. */
  readyPods: number;
  totalPods: number;
  /** Set when the rollout of the current template cannot complete by waiting. */
  failure?: RolloutFailure;
}

export function revisionOf(object: { metadata?: { annotations?: Record<string, string> } }): number {
  const revision = Number(object.metadata?.annotations?.[revisionAnnotation]);
  return Number.isInteger(revision) ? revision : 0;
}

/** The Deployment's ReplicaSets (by owner uid), newest revision first. */
export function ownedReplicaSets(deployment: V1Deployment, replicaSets: readonly V1ReplicaSet[]): V1ReplicaSet[] {
  const uid = deployment.metadata?.uid;
  return replicaSets
    .filter((rs) => rs.metadata?.ownerReferences?.some((owner) => owner.kind === 'Deployment' && owner.uid === uid))
    .sort((a, b) => revisionOf(b) - revisionOf(a));
}

/** The ReplicaSet of the Deployment's current template: the one that carries the Deployment's revision. */
export function currentReplicaSet(deployment: V1Deployment, replicaSets: readonly V1ReplicaSet[]): V1ReplicaSet | undefined {
  const revision = revisionOf(deployment);
  if (revision === 0) return undefined;
  return ownedReplicaSets(deployment, replicaSets).find((rs) => revisionOf(rs) === revision);
}

function podReady(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** The first container of the Pod waiting in CrashLoopBackOff after enough restarts, as "container (n restarts)". */
function crashLooping(pod: V1Pod): string | undefined {
  for (const container of pod.status?.containerStatuses ?? []) {
    if (container.state?.waiting?.reason === 'CrashLoopBackOff' && (container.restartCount ?? 0) >= crashLoopRestarts) {
      return `container ${container.name} of pod ${pod.metadata?.name ?? ''} is in CrashLoopBackOff (${container.restartCount} restarts)`;
    }
  }
  return undefined;
}

export function observeRollout(deployment: V1Deployment | undefined, replicaSets: readonly V1ReplicaSet[], pods: readonly V1Pod[]): RolloutHealth {
  if (!deployment) {
    return { observation: { status: 'Unknown', reason: ConditionReason.DeploymentNotCreated, message: 'the book Deployment does not exist yet' }, readyPods: 0, totalPods: 0 };
  }
  const live = pods.filter((pod) => !pod.metadata?.deletionTimestamp);
  const current = currentReplicaSet(deployment, replicaSets);
  const hash = current?.metadata?.labels?.[templateHashLabel];
  const currentPods = hash ? live.filter((pod) => pod.metadata?.labels?.[templateHashLabel] === hash) : [];
  const readyPods = currentPods.filter(podReady).length;
  const totalPods = live.length;
  const wanted = deployment.spec?.replicas ?? 1;
  const status = deployment.status ?? {};
  const counts = `${readyPods}/${wanted} pods of the current template ready`;
  const health = (observation: Observation, failure?: RolloutFailure): RolloutHealth => ({ observation, readyPods, totalPods, failure });

  if ((status.observedGeneration ?? 0) < (deployment.metadata?.generation ?? 0)) {
    return health({ status: 'False', reason: ConditionReason.DeploymentProgressing, message: 'the Deployment controller has not yet observed the latest spec' });
  }
  const progressing = status.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded') {
    const failure = { reason: ConditionReason.ProgressDeadlineExceeded, message: `the rollout made no progress within its deadline: ${progressing.message ?? ''} (${counts})` };
    return health({ status: 'False', ...failure }, failure);
  }
  for (const pod of currentPods) {
    const looping = crashLooping(pod);
    if (looping) {
      const failure = { reason: ConditionReason.CrashLoopBackOff, message: `${looping} (${counts})` };
      return health({ status: 'False', ...failure }, failure);
    }
  }
  // Every wanted replica of the current template is up, and no Pod of an earlier template is left.
  const complete = (status.updatedReplicas ?? 0) === wanted && (status.replicas ?? 0) === wanted && (status.availableReplicas ?? 0) >= wanted;
  if (complete && readyPods >= wanted && totalPods === wanted) {
    return health({ status: 'True', reason: ConditionReason.ReplicasReady, message: counts });
  }
  return health({ status: 'False', reason: ConditionReason.ReplicasNotReady, message: `${counts}, ${totalPods} pods in all` });
}
