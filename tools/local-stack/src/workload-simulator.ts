import { AppsV1Api, type KubeConfig } from '@kubernetes/client-node';
import { bdkLabels, managedByBdk } from '@bdk/k8s';
import { deploymentIsReady, markDeploymentReady } from '@bdk/testing';

export interface WorkloadSimulator {
  stop(): Promise<void>;
}

/**
 * The part of a kubelet the local stack needs: every Deployment BDK manages is reported ready a moment after it
 * appears or changes, so an instance reaches Ready. A real cluster (KUBECONFIG) runs real pods instead.
 */
export function startWorkloadSimulator(kubeConfig: KubeConfig, log: (line: string) => void, intervalMs = 1_000): WorkloadSimulator {
  const apps = kubeConfig.makeApiClient(AppsV1Api);
  let stopped = false;
  let pass: Promise<void> = Promise.resolve();

  const markAll = async () => {
    const deployments = await apps.listDeploymentForAllNamespaces({ labelSelector: `${bdkLabels.managedBy}=${managedByBdk}` });
    for (const deployment of deployments.items) {
      const { namespace = '', name = '' } = deployment.metadata ?? {};
      if (deploymentIsReady(deployment) || deployment.metadata?.deletionTimestamp) continue;
      await markDeploymentReady(kubeConfig, namespace, name);
      log(`workload simulator: marked deployment ${namespace}/${name} ready (${deployment.spec?.replicas ?? 1} replicas)`);
    }
  };
  const timer = setInterval(() => {
    pass = pass.then(markAll).catch((error: unknown) => {
      if (!stopped) log(`workload simulator: ${error instanceof Error ? error.message : String(error)}`);
    });
  }, intervalMs);

  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await pass;
    },
  };
}
