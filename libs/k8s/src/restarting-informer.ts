// A list+watch cache (client-node's makeInformer) that keeps itself running. client-node re-opens a watch that
// ends normally, but after an error (the apiserver unreachable, a failed list, a 5xx on the watch) it calls the
// error handlers and stops for good; here it starts again after an exponential backoff. Generic: nothing here
// knows about BDK.
import { resourcePath, type CustomResource, type CustomResourceClient } from './custom-resources.js';
import { makeInformer, type Informer, type KubeConfig, type KubernetesListObject, type KubernetesObject, type ObjectCache } from '@kubernetes/client-node';

/** Where a restart is reported; @bdk/service-runtime's Logger is one. */
export interface WarningLog {
  warn(message: string, fields?: Record<string, unknown>): void;
}

export interface RestartingInformerOptions<T extends KubernetesObject> {
  /** Short name for logs, e.g. "deployments". */
  name: string;
  kubeConfig: KubeConfig;
  /** The watch path, e.g. /apis/apps/v1/deployments. */
  path: string;
  /** The list behind the cache; it must apply `labelSelector` itself (client-node only passes it to the watch). */
  list: () => Promise<KubernetesListObject<T>>;
  labelSelector?: string;
  logger: WarningLog;
  /** Called for every add, update and delete. */
  onChange?: (object: T) => void;
  minRestartDelayMs?: number;
  maxRestartDelayMs?: number;
}

export class RestartingInformer<T extends KubernetesObject> {
  private readonly options: RestartingInformerOptions<T>;
  private readonly informer: Informer<T> & ObjectCache<T>;
  private stopped = true;
  private restartDelayMs: number;
  private restartTimer: NodeJS.Timeout | undefined;
  private hasSynced = false;
  private readonly syncWaiters: (() => void)[] = [];

  constructor(options: RestartingInformerOptions<T>) {
    this.options = options;
    this.restartDelayMs = options.minRestartDelayMs ?? 500;
    // Wrapping the list is how we learn the cache is filled: client-node resolves start() even when the list fails.
    const list = async () => {
      const result = await options.list();
      this.healthy();
      this.markSynced();
      return result;
    };
    const onChange = (object: T) => {
      this.healthy();
      options.onChange?.(object);
    };
    this.informer = makeInformer(options.kubeConfig, options.path, list, options.labelSelector);
    this.informer.on('add', onChange);
    this.informer.on('update', onChange);
    this.informer.on('delete', onChange);
    this.informer.on('error', (error: unknown) => this.scheduleRestart(error));
  }

  /** Lists, then watches. Resolves once started; see synced() for the first successful list. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.informer.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    await this.informer.stop();
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
    return this.informer.get(name, namespace);
  }

  list(namespace?: string): readonly T[] {
    return this.informer.list(namespace);
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

  private scheduleRestart(error: unknown): void {
    if (this.stopped) return;
    const delayMs = this.restartDelayMs;
    this.restartDelayMs = Math.min(delayMs * 2, this.options.maxRestartDelayMs ?? 30_000);
    this.options.logger.warn('watch failed, restarting', { informer: this.options.name, delayMs, error });
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      if (this.stopped) return;
      // start() resumes from the last resourceVersion seen; an expired one (410) makes client-node list again.
      this.informer.start().catch((startError: unknown) => this.scheduleRestart(startError));
    }, delayMs);
  }
}

/** A self-restarting cache of one BDK custom resource type in one namespace. */
export function customResourceInformer<T extends KubernetesObject & CustomResource>(options: {
  kubeConfig: KubeConfig;
  client: CustomResourceClient<T>;
  namespace: string;
  logger: WarningLog;
  onChange?: (object: T) => void;
}): RestartingInformer<T> {
  const { client, namespace } = options;
  return new RestartingInformer<T>({
    name: client.type.plural,
    kubeConfig: options.kubeConfig,
    logger: options.logger,
    path: resourcePath(client.type, namespace),
    list: () => client.list(namespace),
    onChange: options.onChange,
  });
}
