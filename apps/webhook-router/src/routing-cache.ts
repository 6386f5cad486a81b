// An informer cache of the BookDefinitions and BookInstanceDefinitions in BDK's namespace, which routing reads on
// every webhook. Chosen over a list per request: webhook traffic is bursty and sender-driven (one push to a busy
// repository fans out into many deliveries), and two apiserver lists per webhook would put that load on the
// control plane and the apiserver's latency on every delivery. The cost is staleness of a watch round trip (an
// instance created a moment ago may miss a webhook); the controller re-reads each target before dispatching.
import { bdkResources, customResourceInformer } from '@bdk/k8s';
import type { Logger } from '@bdk/service-runtime';
import type { KubeConfig } from '@kubernetes/client-node';
import { routeTargets, type RouteTarget } from './routing.js';

export interface RoutingCache {
  /** The instances a source's webhooks go to, from the cache. */
  targetsFor(source: string): RouteTarget[];
  stop(): Promise<void>;
}

/** Starts both informers and resolves once both have listed, so the first webhook already sees every instance. */
export async function startRoutingCache(options: { kubeConfig: KubeConfig; namespace: string; logger: Logger }): Promise<RoutingCache> {
  const { kubeConfig, namespace, logger } = options;
  const resources = bdkResources(kubeConfig);
  const books = customResourceInformer({ kubeConfig, client: resources.books, namespace, logger });
  const instances = customResourceInformer({ kubeConfig, client: resources.instances, namespace, logger });
  const stop = async () => {
    await Promise.all([books.stop(), instances.stop()]);
  };
  try {
    await Promise.all([books.start(), instances.start()]);
    await Promise.all([books.synced(), instances.synced()]);
  } catch (error) {
    await stop();
    throw error;
  }
  logger.info('routing cache synced', { namespace, books: books.list().length, instances: instances.list().length });
  return {
    targetsFor: (source) => routeTargets(source, books.list(), instances.list()),
    stop,
  };
}
