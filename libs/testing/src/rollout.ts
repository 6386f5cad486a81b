import { AppsV1Api, type KubeConfig, type V1Deployment } from '@kubernetes/client-node';
import { waitUntil } from './wait.js';

/** Where a Deployment's rollout stands, judged as `kubectl rollout status` judges it. */
export type RolloutState = 'complete' | 'progressing' | 'stalled';

export function rolloutState(deployment: V1Deployment): RolloutState {
  const status = deployment.status ?? {};
  // A status the controller wrote for an older spec says nothing about this one.
  if ((status.observedGeneration ?? 0) < (deployment.metadata?.generation ?? 1)) return 'progressing';
  const progressing = status.conditions?.find((condition) => condition.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') return 'stalled';
  const replicas = deployment.spec?.replicas ?? 1;
  const updated = status.updatedReplicas ?? 0;
  if (updated < replicas) return 'progressing';
  // Old Pods still terminating, or new ones not available yet.
  if ((status.replicas ?? 0) > updated || (status.availableReplicas ?? 0) < updated) return 'progressing';
  return 'complete';
}

function describe(deployment: V1Deployment): string {
  const { replicas, updatedReplicas, readyReplicas, availableReplicas, conditions } = deployment.status ?? {};
  const said = (conditions ?? []).map((c) => `${c.type}=${c.status} (${c.reason}: ${c.message})`).join('; ');
  return `${deployment.spec?.replicas ?? 1} wanted, ${replicas ?? 0} current, ${updatedReplicas ?? 0} updated, ${readyReplicas ?? 0} ready, ${availableReplicas ?? 0} available; ${said}`;
}

/**
 * Waits until a Deployment's rollout is complete (its current spec observed; every replica updated and available;
 * no old one left) and resolves with it. Throws at once when the rollout stalls (ProgressDeadlineExceeded), and after
 * `timeoutMs`, with what the Deployment's status said. Needs Pods that run: startKubeEnv({ workloads: true }).
 */
export async function waitForRollout(kubeConfig: KubeConfig, namespace: string, name: string, { timeoutMs = 60_000 } = {}): Promise<V1Deployment> {
  const apps = kubeConfig.makeApiClient(AppsV1Api);
  let last: V1Deployment | undefined;
  let settled: V1Deployment;
  try {
    settled = await waitUntil(
      `the rollout of deployment ${namespace}/${name}`,
      async () => {
        last = await apps.readNamespacedDeployment({ namespace, name });
        return rolloutState(last) !== 'progressing' && last;
      },
      { timeoutMs, intervalMs: 100 },
    );
  } catch (error) {
    if (!last) throw error;
    throw new Error(`${(error as Error).message}; last status: ${describe(last)}`, { cause: error });
  }
  if (rolloutState(settled) === 'stalled') throw new Error(`deployment ${namespace}/${name} stalled: ${describe(settled)}`);
  return settled;
}
