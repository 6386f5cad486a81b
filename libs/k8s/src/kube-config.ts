import { KubeConfig } from '@kubernetes/client-node';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const serviceAccountToken = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * The Kubernetes connection every BDK process uses: $KUBECONFIG, else ~/.kube/config, else the pod's service
 * account. Throws when there is none (client-node would otherwise fall back to http://localhost:8080).
 */
export function loadKubeConfig(): KubeConfig {
  const kubeConfig = new KubeConfig();
  const home = process.env['HOME'] ?? os.homedir();
  if (process.env['KUBECONFIG'] || existsSync(path.join(home, '.kube', 'config'))) {
    kubeConfig.loadFromDefault();
  } else if (existsSync(serviceAccountToken)) {
    kubeConfig.loadFromCluster();
  } else {
    throw new Error('no Kubernetes cluster configured: set KUBECONFIG or run in a pod with a service account');
  }
  return kubeConfig;
}
