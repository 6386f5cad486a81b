// A self-restarting cache of one BDK custom resource type in one namespace, on @bdk/controller-runtime's
// RestartingInformer.
import { RestartingInformer, type WarningLog } from '@bdk/controller-runtime';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { resourcePath, type CustomResource, type CustomResourceClient } from './custom-resources.js';

export function customResourceInformer<T extends KubernetesObject & CustomResource>(options: {
  kubeConfig: KubeConfig;
  client: CustomResourceClient<T>;
  namespace: string;
  logger: WarningLog;
  onChange?: (object: T) => void;
  /** What to keep of each object before it is cached (managedFields are dropped in any case). */
  transform?: (object: T) => T;
}): RestartingInformer<T> {
  const { client, namespace } = options;
  return new RestartingInformer<T>({
    name: client.type.plural,
    kubeConfig: options.kubeConfig,
    logger: options.logger,
    path: resourcePath(client.type, namespace),
    list: () => client.list(namespace),
    onChange: options.onChange,
    transform: options.transform,
  });
}
