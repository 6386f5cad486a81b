// The reconcile reads its instance from the watch cache, which shows the controller's own writes (the finalizer,
// the status) only once their watch events arrive. Until then it would compute from the copy before them: write
// the same status again, record the same Event twice, or send a finalizer patch the apiserver refuses as a
// conflict. So each write's answer is kept, per key, and read instead of the cache while the cache still shows a
// version that the write (or an earlier one of the controller's) replaced. Once the cache shows anything else
// (the write itself or someone's later change) the cache is current again and the kept copy is dropped.
import type { KubernetesObject } from '@kubernetes/client-node';

export interface OwnWrites<T extends KubernetesObject> {
  /** `cached`, or the controller's own later copy of the object while the cache has not caught up with it. */
  read(key: string, cached: T | undefined): T | undefined;
  /** A write replaced `before` (as the reconcile read it) with `after` (the apiserver's answer). */
  wrote(key: string, before: T, after: T): void;
}

export function createOwnWrites<T extends KubernetesObject>(): OwnWrites<T> {
  const written = new Map<string, { replaced: Set<string>; latest: T }>();
  const version = (object: T) => object.metadata?.resourceVersion ?? '';
  return {
    read(key, cached) {
      const own = written.get(key);
      if (!own) return cached;
      if (cached && own.replaced.has(version(cached))) return own.latest;
      written.delete(key);
      return cached;
    },
    wrote(key, before, after) {
      const own = written.get(key);
      const replaced = own?.replaced ?? new Set<string>();
      replaced.add(version(before));
      written.set(key, { replaced, latest: after });
    },
  };
}
