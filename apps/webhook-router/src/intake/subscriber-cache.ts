// The subscribers of a source (or of one instance on the instance-addressed route), as the book controller last
// reported them. Webhooks come in bursts to one source, and asking the controller on each would put its latency
// and load on every delivery; a few seconds of staleness is the price. Staleness must not lock out a secret that
// was just rotated, so a verification miss may ask again (`refetch`), but at most once per second per key: a flood
// of bad signatures then costs the controller one call per second per key, not one per request. Concurrent callers
// of one key share one call.

/** What the router asks the controller for: a source's subscribers, or only the instance's when `instanceId` is set. */
export interface SubscriberKey {
  source: string;
  /** '' on the source-wide route. */
  instanceId: string;
}

export interface SubscriberCacheOptions<T> {
  load: (key: SubscriberKey) => Promise<T[]>;
  /** How long a fetched list is served without asking again (0: every `get` asks, sharing calls in flight). */
  ttlMs: number;
  /** The least time between two fetches of one key that a `refetch` may cause. Default 1000. */
  minRefetchMs?: number;
  /** Keys remembered at most (the least recently used go first): keys come from unauthenticated paths. */
  maxEntries?: number;
  /** Milliseconds; Date.now by default. */
  now?: () => number;
}

export interface SubscriberCache<T> {
  /** The cached list while younger than the TTL, else a fresh one. */
  get(key: SubscriberKey): Promise<T[]>;
  /**
   * A fresh list after a verification miss, or undefined when the key was fetched less than `minRefetchMs` ago
   * (nothing newer to try). A fetch already under way is joined.
   */
  refetch(key: SubscriberKey): Promise<T[] | undefined>;
}

interface Entry<T> {
  subscribers: T[];
  /** When the fetch that produced the list started: the list is at least that fresh. */
  fetchedAt: number;
}

export function createSubscriberCache<T>(options: SubscriberCacheOptions<T>): SubscriberCache<T> {
  const { load, ttlMs } = options;
  const minRefetchMs = options.minRefetchMs ?? 1_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry<T>>();
  const inFlight = new Map<string, Promise<T[]>>();

  function fetch(id: string, key: SubscriberKey): Promise<T[]> {
    const pending = inFlight.get(id);
    if (pending) return pending;
    const fetchedAt = now();
    const fetching = load(key)
      .then((subscribers) => {
        entries.delete(id);
        entries.set(id, { subscribers, fetchedAt });
        // Map iteration is insertion order and a hit re-inserts: the first key is the least recently used.
        while (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
        return subscribers;
      })
      .finally(() => inFlight.delete(id));
    inFlight.set(id, fetching);
    return fetching;
  }

  return {
    get(key) {
      const id = keyId(key);
      const entry = entries.get(id);
      if (entry && now() - entry.fetchedAt < ttlMs) {
        entries.delete(id);
        entries.set(id, entry);
        return Promise.resolve(entry.subscribers);
      }
      return fetch(id, key);
    },
    refetch(key) {
      const id = keyId(key);
      const pending = inFlight.get(id);
      if (pending) return pending;
      const entry = entries.get(id);
      if (entry && now() - entry.fetchedAt < minRefetchMs) return Promise.resolve(undefined);
      return fetch(id, key);
    },
  };
}

// A source is a DNS label and an instance id a UUID: neither contains "/".
const keyId = ({ source, instanceId }: SubscriberKey) => `${source}/${instanceId}`;
