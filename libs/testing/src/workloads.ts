import { AppsV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Deployment } from '@kubernetes/client-node';

/**
 * Writes a Deployment's status as the kube-controller-manager and kubelets would once every replica is up. There
 * are no kubelets here, so this is how tests (and the local stack's workload simulator) make a book "ready".
 */
export async function markDeploymentReady(kubeConfig: KubeConfig, namespace: string, name: string): Promise<V1Deployment> {
  const apps = kubeConfig.makeApiClient(AppsV1Api);
  const deployment = await apps.readNamespacedDeployment({ namespace, name });
  const replicas = deployment.spec?.replicas ?? 1;
  return apps.patchNamespacedDeploymentStatus(
    {
      namespace,
      name,
      body: {
        status: {
          observedGeneration: deployment.metadata?.generation,
          replicas,
          updatedReplicas: replicas,
          readyReplicas: replicas,
          availableReplicas: replicas,
          conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'marked ready: no kubelet runs here' }],
        },
      },
    },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}

/** Whether a Deployment's status already says every replica of its current generation is ready. */
export function deploymentIsReady(deployment: V1Deployment): boolean {
  const replicas = deployment.spec?.replicas ?? 1;
  const status = deployment.status;
  return status?.observedGeneration === deployment.metadata?.generation && (status?.readyReplicas ?? 0) === replicas && (status?.replicas ?? 0) === replicas;
}
