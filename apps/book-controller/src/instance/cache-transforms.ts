// What the controller keeps of the objects it watches in bulk (one or more per instance), so that memory grows with
// what reconciling reads and not with what the apiserver stores: a Pod keeps its identity and readiness, a
// ReplicaSet its identity, revision and size (not its template: the rare rollback reads the one it goes back to).
import { bdkAnnotations } from '@bdk/k8s';
import type { V1ObjectMeta, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import { revisionAnnotation } from './rollout-health.js';

function slimMetadata(metadata: V1ObjectMeta | undefined, annotationKeys: readonly string[]): V1ObjectMeta {
  const { name, namespace, uid, resourceVersion, generation, labels, deletionTimestamp, ownerReferences } = metadata ?? {};
  const annotations = Object.fromEntries(annotationKeys.flatMap((key) => (metadata?.annotations?.[key] === undefined ? [] : [[key, metadata.annotations[key]]])));
  return {
    name,
    namespace,
    uid,
    resourceVersion,
    generation,
    labels,
    annotations,
    deletionTimestamp,
    ownerReferences: ownerReferences?.map(({ apiVersion, kind, name: ownerName, uid: ownerUid, controller }) => ({ apiVersion, kind, name: ownerName, uid: ownerUid, controller })),
  };
}

export function slimPod(pod: V1Pod): V1Pod {
  const status = pod.status ?? {};
  return {
    metadata: slimMetadata(pod.metadata, [bdkAnnotations.instanceRef]),
    status: {
      phase: status.phase,
      conditions: status.conditions?.map(({ type, status: conditionStatus }) => ({ type, status: conditionStatus })),
      containerStatuses: status.containerStatuses?.map(({ name, ready, restartCount, state, image, imageID }) => ({
        name,
        ready,
        restartCount,
        image,
        imageID,
        state: state?.waiting ? { waiting: { reason: state.waiting.reason } } : state?.running ? { running: {} } : state?.terminated ? { terminated: { exitCode: state.terminated.exitCode, reason: state.terminated.reason } } : undefined,
      })),
    },
  };
}

export function slimReplicaSet(replicaSet: V1ReplicaSet): V1ReplicaSet {
  return {
    metadata: slimMetadata(replicaSet.metadata, [bdkAnnotations.instanceRef, revisionAnnotation]),
    spec: replicaSet.spec && { selector: replicaSet.spec.selector, replicas: replicaSet.spec.replicas },
    status: replicaSet.status && { replicas: replicaSet.status.replicas, readyReplicas: replicaSet.status.readyReplicas },
  };
}
