// An informer cache of the BookDefinitions and BookInstanceDefinitions in BDK's namespace, which routing reads on
// every webhook. Chosen over a list per request: webhook traffic is bursty and sender-driven (one push to a busy
// repository fans out into many deliveries), and two apiserver lists per webhook would put that load on the
// control plane and the apiserver's latency on every delivery. The cost is staleness of a watch round trip (an
// instance created a moment ago may miss a webhook); the controller re-reads each target before dispatching.
import {
  bdkResources,
  bookDefinitionResource,
  bookInstanceDefinitionResource,
  type BookDefinition,
  type BookInstanceDefinition,
  type ResourceType,
} from '@bdk/k8s';
import type { Logger } from '@bdk/service-runtime';
import { makeInformer, type Informer, type KubeConfig, type KubernetesObject, type ObjectCache } from '@kubernetes/client-node';
import { routeTargets, type RouteTarget } from './routing.js';

export interface RoutingCache {
  /** The instances a source's webhooks go to, from the cache. */
  targetsFor(source: string): RouteTarget[];
  stop(): Promise<void>;
}

const firstRetryMs = 500;
const maxRetryMs = 30_000;

/**
 * One resource type kept in sync: list, then watch; on a failed list or watch, start again after a backoff
 * (client-node's informer reconnects by itself only after a clean end or a 410 Gone, not after an error).
 */
class WatchedResource<T extends KubernetesObject> {
  private readonly informer: Informer<T> & ObjectCache<T>;
  private stopped = false;
  /** Until the first sync, sync() itself retries; after it, onError schedules restarts. */
  private syncing = true;
  private retryMs = firstRetryMs;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;

  constructor(
    kubeConfig: KubeConfig,
    private readonly type: ResourceType,
    namespace: string,
    list: () => Promise<{ items: T[]; metadata?: { resourceVersion?: string } }>,
    private readonly logger: Logger,
  ) {
    const path = `/apis/${type.group}/${type.version}/namespaces/${namespace}/${type.plural}`;
    this.informer = makeInformer<T>(kubeConfig, path, list);
    this.informer.on('error', (error: unknown) => this.onError(error));
    // Any event proves the watch is healthy again.
    this.informer.on('change', () => (this.retryMs = firstRetryMs));
  }

  list(): readonly T[] {
    return this.informer.list();
  }

  /** Resolves once the first list succeeded and the watch is open; keeps retrying until then. */
  async sync(): Promise<void> {
    for (;;) {
      if (this.stopped) throw new Error(`stopped before ${this.type.plural} were listed`);
      const failuresBefore = this.failures;
      await this.informer.start();
      if (this.failures === failuresBefore) {
        this.syncing = false;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, this.nextRetryMs()));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    await this.informer.stop();
  }

  private onError(error: unknown): void {
    // Stopping aborts the watch request, which the informer reports as an error.
    if (this.stopped) return;
    this.failures += 1;
    if (this.syncing) {
      this.logger.warn('listing failed; retrying', { resource: this.type.plural, error });
      return;
    }
    const retryMs = this.nextRetryMs();
    this.logger.warn('watch failed; restarting', { resource: this.type.plural, retryMs, error });
    this.retryTimer = setTimeout(() => {
      if (!this.stopped) void this.informer.start();
    }, retryMs);
  }

  private nextRetryMs(): number {
    const retryMs = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, maxRetryMs);
    return retryMs;
  }
}

/** Starts both informers and resolves once both have listed, so the first webhook already sees every instance. */
export async function startRoutingCache(options: { kubeConfig: KubeConfig; namespace: string; logger: Logger }): Promise<RoutingCache> {
  const { kubeConfig, namespace, logger } = options;
  const resources = bdkResources(kubeConfig);
  const books = new WatchedResource<BookDefinition>(
    kubeConfig,
    bookDefinitionResource,
    namespace,
    () => resources.books.list(namespace),
    logger,
  );
  const instances = new WatchedResource<BookInstanceDefinition>(
    kubeConfig,
    bookInstanceDefinitionResource,
    namespace,
    () => resources.instances.list(namespace),
    logger,
  );
  const stop = async () => {
    await Promise.all([books.stop(), instances.stop()]);
  };
  try {
    await Promise.all([books.sync(), instances.sync()]);
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
