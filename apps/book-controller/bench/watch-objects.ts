// Follows every object of one collection (a list, then a watch from its resourceVersion, resumed when the
// apiserver ends it and listed again when it is too old) and hands each version to `onObject`. The benchmark sees
// instances turn Ready and Deployments become available as they happen, without listing a thousand objects a
// second (which would load the apiserver it measures).
import { kubeGet } from './harness.js';
import { Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';

export interface Following {
  stop(): void;
}

export async function followObjects<T extends KubernetesObject>(
  kubeConfig: KubeConfig,
  path: string,
  labelSelector: string | undefined,
  onObject: (object: T, type: 'ADDED' | 'MODIFIED' | 'DELETED') => void,
): Promise<Following> {
  let stopped = false;
  let resourceVersion = '';
  let abort: AbortController | undefined;
  const list = async () => {
    const query = labelSelector ? `?labelSelector=${encodeURIComponent(labelSelector)}` : '';
    const response = await kubeGet(kubeConfig, `${path}${query}`);
    if (response.status !== 200) throw new Error(`list ${path}: ${response.status} ${response.body.slice(0, 200)}`);
    const listed = JSON.parse(response.body) as { items: T[]; metadata: { resourceVersion: string } };
    for (const item of listed.items) onObject(item, 'ADDED');
    resourceVersion = listed.metadata.resourceVersion;
  };
  const watch = async (): Promise<void> => {
    if (stopped) return;
    try {
      if (!resourceVersion) await list();
      abort = await new Watch(kubeConfig).watch(
        path,
        { resourceVersion, allowWatchBookmarks: true, ...(labelSelector ? { labelSelector } : {}) },
        (type: string, object: T & { code?: number }) => {
          if (type === 'ERROR') {
            // 410 Gone: the version is too old to resume from; list again.
            if (object.code === 410) resourceVersion = '';
            abort?.abort();
            return;
          }
          if (object.metadata?.resourceVersion) resourceVersion = object.metadata.resourceVersion;
          if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') onObject(object, type);
        },
        () => {
          if (!stopped) setTimeout(() => void watch(), 100);
        },
      );
    } catch {
      if (!stopped) setTimeout(() => void watch(), 500);
    }
  };
  await list();
  void watch();
  return {
    stop() {
      stopped = true;
      abort?.abort();
    },
  };
}
