// The cluster `bdk admin` works on: --kubeconfig, else what every BDK process uses (KUBECONFIG, which may list
// several files, ~/.kube/config, or the pod's service account).
import { loadKubeConfig } from '@bdk/k8s';
import { KubeConfig } from '@kubernetes/client-node';

export function adminKubeConfig(file: string | undefined): KubeConfig {
  if (file === undefined) return loadKubeConfig();
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(file);
  return kubeConfig;
}
