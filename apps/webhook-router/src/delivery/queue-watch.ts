// Keeps the router's view of the shared queue current: its depth for backpressure (refreshed from the store, plus
// what this replica accepted since), the queue metrics, and retention (purging finished deliveries past it).
import type { DeliveryStore } from '@bdk/delivery-store';
import type { Logger } from '@bdk/service-runtime';
import type { DeliveryMetrics } from './delivery-metrics.js';

export interface QueueWatchOptions {
  store: DeliveryStore;
  metrics: DeliveryMetrics;
  logger: Logger;
  /** How often the store's counts are read. */
  refreshMs: number;
  retentionMs: number;
  /** How often retention is applied. */
  purgeEveryMs: number;
}

export interface QueueWatch {
  /** Owed (webhook, target) pairs, as of the last refresh plus what was accepted here since. */
  depth(): number;
  /** Pairs this replica just recorded. */
  accepted(pairs: number): void;
  refresh(): Promise<void>;
  stop(): void;
}

export function watchQueue(options: QueueWatchOptions): QueueWatch {
  const { store, metrics, logger } = options;
  let depth = 0;
  // Accepts counted since the store was last read. One that lands while the store is being read may or may not be
  // in that reading: it is counted on top (so the queue is never undercounted), and the store is read once more at
  // once to settle it (once: under steady traffic every reading overlaps some accept, and the next tick comes soon).
  let acceptedTotal = 0;
  let countedUpTo = 0;
  let refreshing: Promise<void> | undefined;

  async function readStore(settling = false): Promise<void> {
    const before = acceptedTotal;
    try {
      const stats = await store.stats();
      depth = stats.pending;
      countedUpTo = before;
      metrics.queue(stats, new Date());
    } catch (error) {
      logger.warn('reading the delivery queue\u2019s counts failed', { error });
      return;
    }
    if (acceptedTotal !== before && !settling) await readStore(true);
  }

  function refresh(): Promise<void> {
    refreshing ??= readStore().finally(() => {
      refreshing = undefined;
    });
    return refreshing;
  }

  async function purge(): Promise<void> {
    const now = new Date();
    try {
      const purged = await store.purge(new Date(now.getTime() - options.retentionMs), now);
      if (purged > 0) logger.info('finished deliveries past their retention purged', { count: purged });
    } catch (error) {
      logger.warn('purging deliveries past their retention failed', { error });
    }
  }

  const refreshTimer = setInterval(() => void refresh(), options.refreshMs);
  const purgeTimer = setInterval(() => void purge(), options.purgeEveryMs);
  refreshTimer.unref();
  purgeTimer.unref();
  void refresh();
  void purge();

  return {
    depth: () => depth + (acceptedTotal - countedUpTo),
    accepted(pairs) {
      acceptedTotal += pairs;
    },
    refresh,
    stop() {
      clearInterval(refreshTimer);
      clearInterval(purgeTimer);
    },
  };
}
