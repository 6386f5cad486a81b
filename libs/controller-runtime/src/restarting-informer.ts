// A list+watch cache of one resource type that keeps itself running, after client-go's reflector:
// - it lists, then watches from the list's resourceVersion, and re-watches from the last version it saw when the
//   apiserver ends a watch; a version too old to resume from (410 Gone) makes it list again;
// - after an error (the apiserver unreachable, a failed list, a 5xx) it starts again after an exponential backoff;
// - a watchdog restarts with a fresh list a watch that sent nothing, neither a change nor a bookmark, for
//   `silenceTimeoutMs`: a connection a proxy or NAT dropped without telling either end stays open and silent, and
//   every change made meanwhile would be missed;
// - what it caches is what `transform` returns, after metadata.managedFields is dropped (the apiserver's record of
//   who set which field, often the biggest part of an object, and nothing a controller reconciles from).
// Generic: nothing here knows about BDK.
import type { KubeConfig, KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import { WatchError, watchStream, type WatchEvent } from './watch-stream.js';

/** Where restarts are reported; @bdk/service-runtime's Logger is one. */
export interface WarningLog {
  warn(message: string, fields?: Record<string, unknown>): void;
}

export interface RestartingInformerOptions<T extends KubernetesObject> {
  /** Short name for logs, e.g. "deployments". */
  name: string;
  kubeConfig: KubeConfig;
  /** The watch path, e.g. /apis/apps/v1/deployments. */
  path: string;
  /** The list behind the cache; it must apply `labelSelector` itself (the informer only passes it to the watch). */
  list: () => Promise<KubernetesListObject<T>>;
  labelSelector?: string;
  logger: WarningLog;
  /** Called for every add, update and delete (with the cached form of the object). */
  onChange?: (object: T) => void;
  /**
   * What to keep of each object, applied to every listed and watched object before it is cached (after
   * managedFields is dropped). It must keep metadata.name, namespace and resourceVersion.
   */
  transform?: (object: T) => T;
  /** A watch silent this long (no event, no bookmark) is restarted with a fresh list. Default 3 minutes. */
  silenceTimeoutMs?: number;
  /** A list that has not answered after this long counts as failed. Default 1 minute. */
  listTimeoutMs?: number;
  minRestartDelayMs?: number;
  maxRestartDelayMs?: number;
}

/** Returns the object without metadata.managedFields (the same object, changed). */
export function dropManagedFields<T extends KubernetesObject>(object: T): T {
  if (object.metadata?.managedFields !== undefined) delete object.metadata.managedFields;
  return object;
}

type WatchOutcome = 'ended' | 'silent' | 'expired';

export class RestartingInformer<T extends KubernetesObject> {
  private readonly options: RestartingInformerOptions<T>;
  private readonly silenceTimeoutMs: number;
  /** namespace ('' for cluster-scoped objects) → name → object. */
  private objects = new Map<string, Map<string, T>>();
  private resourceVersion = '';
  private stopped = true;
  private running: Promise<void> | undefined;
  /** Ends the list, watch or backoff under way when stop() is called. */
  private abort = new AbortController();
  private restartDelayMs: number;
  private hasSynced = false;
  private readonly syncWaiters: (() => void)[] = [];

  constructor(options: RestartingInformerOptions<T>) {
    this.options = options;
    this.silenceTimeoutMs = options.silenceTimeoutMs ?? 3 * 60_000;
    this.restartDelayMs = options.minRestartDelayMs ?? 500;
  }

  /** Starts listing and watching in the background; see synced() for the first full list. */
  async start(): Promise<void> {
    if (this.running) return;
    this.stopped = false;
    this.abort = new AbortController();
    this.running = this.run();
  }

  /** Ends the watch; resolves once nothing of this informer runs any more. The cache keeps what it holds. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await this.running;
    this.running = undefined;
  }

  /** Resolves once the cache holds a full list. */
  synced(): Promise<void> {
    if (this.hasSynced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  get isSynced(): boolean {
    return this.hasSynced;
  }

  get(name: string, namespace?: string): T | undefined {
    return this.objects.get(namespace ?? '')?.get(name);
  }

  /** The objects of one namespace, or of all of them. */
  list(namespace?: string): readonly T[] {
    if (namespace) return [...(this.objects.get(namespace)?.values() ?? [])];
    return [...this.objects.values()].flatMap((objects) => [...objects.values()]);
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        if (!this.resourceVersion) await this.relist();
        const outcome = await this.watch();
        if (outcome === 'silent') {
          this.options.logger.warn('watch silent, listing again', { informer: this.options.name, silentMs: this.silenceTimeoutMs });
          this.resourceVersion = '';
        } else if (outcome === 'expired') {
          this.resourceVersion = '';
        }
      } catch (error) {
        if (this.stopped) break;
        const delayMs = this.restartDelayMs;
        this.restartDelayMs = Math.min(delayMs * 2, this.options.maxRestartDelayMs ?? 30_000);
        this.options.logger.warn('watch failed, restarting', { informer: this.options.name, delayMs, error });
        await this.sleep(delayMs);
      }
    }
  }

  /** Replaces the cache with a fresh list, reporting what was added, changed or deleted meanwhile. */
  private async relist(): Promise<void> {
    const list = await this.withTimeout(this.options.list(), this.options.listTimeoutMs ?? 60_000, 'list');
    if (this.stopped) return;
    const previous = this.objects;
    this.objects = new Map();
    for (const item of list.items) {
      const object = this.cacheForm(item);
      const namespace = object.metadata?.namespace ?? '';
      const name = object.metadata?.name ?? '';
      const before = previous.get(namespace)?.get(name);
      previous.get(namespace)?.delete(name);
      this.store(object);
      if (!sameVersion(before, object)) this.changed(object);
    }
    for (const objects of previous.values()) for (const gone of objects.values()) this.changed(gone);
    this.resourceVersion = list.metadata?.resourceVersion ?? '';
    this.healthy();
    this.markSynced();
  }

  /** One watch from the current resourceVersion, until it ends, goes silent or is too old to resume. */
  private async watch(): Promise<WatchOutcome> {
    const attempt = new AbortController();
    const stop = () => attempt.abort();
    this.abort.signal.addEventListener('abort', stop);
    let outcome: WatchOutcome = 'ended';
    let watchError: WatchError | undefined;
    let heard = false;
    const watchdog = setTimeout(() => {
      outcome = 'silent';
      attempt.abort();
    }, this.silenceTimeoutMs);
    try {
      await watchStream({
        kubeConfig: this.options.kubeConfig,
        path: this.options.path,
        resourceVersion: this.resourceVersion,
        labelSelector: this.options.labelSelector,
        signal: attempt.signal,
        onEvent: (event) => {
          if (attempt.signal.aborted) return;
          watchdog.refresh();
          heard = true;
          if (event.type === 'ERROR') {
            if (event.object.code === 410) outcome = 'expired';
            else watchError = new WatchError(`watch error: ${event.object.message ?? 'unknown'}`, event.object.code);
            attempt.abort();
            return;
          }
          this.apply(event);
        },
      });
    } catch (error) {
      if (error instanceof WatchError && error.statusCode === 410) return 'expired';
      throw error;
    } finally {
      clearTimeout(watchdog);
      this.abort.signal.removeEventListener('abort', stop);
    }
    if (watchError) throw watchError;
    // A watch the apiserver closed at once, without a word, would otherwise be reopened in a tight loop.
    if (outcome === 'ended' && !heard && !this.stopped) throw new Error('the watch ended without sending anything');
    return outcome;
  }

  private apply(event: WatchEvent): void {
    const version = event.object.metadata?.resourceVersion;
    if (event.type === 'BOOKMARK') {
      if (version) this.resourceVersion = version;
      this.healthy();
      return;
    }
    const object = this.cacheForm(event.object as T);
    if (event.type === 'DELETED') {
      const namespace = object.metadata?.namespace ?? '';
      const objects = this.objects.get(namespace);
      if (objects?.delete(object.metadata?.name ?? '')) {
        if (objects.size === 0) this.objects.delete(namespace);
        this.changed(object);
      }
    } else {
      const before = this.get(object.metadata?.name ?? '', object.metadata?.namespace);
      this.store(object);
      if (!sameVersion(before, object)) this.changed(object);
    }
    if (version) this.resourceVersion = version;
    this.healthy();
  }

  private cacheForm(object: T): T {
    const slim = dropManagedFields(object);
    return this.options.transform ? this.options.transform(slim) : slim;
  }

  private store(object: T): void {
    const namespace = object.metadata?.namespace ?? '';
    let objects = this.objects.get(namespace);
    if (!objects) this.objects.set(namespace, (objects = new Map()));
    objects.set(object.metadata?.name ?? '', object);
  }

  private changed(object: T): void {
    try {
      this.options.onChange?.(object);
    } catch (error) {
      this.options.logger.warn('change handler failed', { informer: this.options.name, error });
    }
  }

  /** The apiserver answered: the next failure starts the backoff from the beginning. */
  private healthy(): void {
    this.restartDelayMs = this.options.minRestartDelayMs ?? 500;
  }

  private markSynced(): void {
    if (this.hasSynced) return;
    this.hasSynced = true;
    for (const resolve of this.syncWaiters.splice(0)) resolve();
  }

  /** Waits `ms`, or less when stop() is called. */
  private sleep(ms: number): Promise<void> {
    const signal = this.abort.signal;
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done);
    });
  }

  /** The promise, or a rejection once `ms` passed or stop() was called, whichever comes first. */
  private withTimeout<R>(promise: Promise<R>, ms: number, what: string): Promise<R> {
    const signal = this.abort.signal;
    return new Promise<R>((resolve, reject) => {
      const fail = (reason: string) => () => {
        cleanup();
        reject(new Error(`${what} of ${this.options.name} ${reason}`));
      };
      const onTimeout = fail(`did not answer within ${ms} ms`);
      const onAbort = fail('stopped');
      const timer = setTimeout(onTimeout, ms);
      const cleanup = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      };
      signal.addEventListener('abort', onAbort);
      promise.then(
        (value) => {
          cleanup();
          resolve(value);
        },
        (error: unknown) => {
          cleanup();
          reject(error);
        },
      );
    });
  }
}

function sameVersion(before: KubernetesObject | undefined, after: KubernetesObject): boolean {
  const version = before?.metadata?.resourceVersion;
  return version !== undefined && version === after.metadata?.resourceVersion;
}
