// Reconcile one BookInstanceDefinition, level-based: given only its key, make the customer namespace match the
// instance's spec and report what is there. Shape (controller-runtime's): fetch; gone → done; deleting → clean
// up, drop the finalizer, stop; otherwise ensure the finalizer, the book, the namespace and every child, then
// write status. A pass with nothing to change writes nothing.
import {
  bdkLabels,
  credentialSecretKey,
  credentialsSecretName,
  instanceCleanupFinalizer,
  isNotFound,
  type BdkResources,
  type BookDefinition,
  type BookInstanceDefinition,
} from '@bdk/k8s';
import type { Logger } from '@bdk/service-runtime';
import { CoreV1Api, type KubeConfig, type V1Deployment } from '@kubernetes/client-node';
import type { ControllerConfig } from '../config.js';
import type { ReconcileResult } from '../runtime/controller.js';
import type { ControllerCaches } from './caches.js';
import { splitKey } from './caches.js';
import { upToDate, type ChildWriter } from './children.js';
import { ConditionReason, EventReason } from './conditions.js';
import {
  desiredConfigMap,
  desiredDeployment,
  desiredExternalBook,
  desiredService,
  identify,
  instanceIdOf,
  type InstanceIdentity,
} from './desired-objects.js';
import type { EventRecorder } from './events.js';
import { desiredStatus, statusChanged, type Observation } from './instance-status.js';

/** How soon to look again at an instance waiting on something no cache watches (a missing book or Secret). */
export const waitingRequeueMs = 30_000;

export interface InstanceReconcilerDeps {
  kubeConfig: KubeConfig;
  resources: BdkResources;
  caches: ControllerCaches;
  children: ChildWriter;
  config: ControllerConfig;
  events: EventRecorder;
  logger: Logger;
  now?: () => Date;
}

export function createInstanceReconciler(deps: InstanceReconcilerDeps): (key: string) => Promise<ReconcileResult | undefined> {
  const { resources, caches, children, config, events, logger } = deps;
  const core = deps.kubeConfig.makeApiClient(CoreV1Api);
  const now = deps.now ?? (() => new Date());

  async function cleanUp(instance: BookInstanceDefinition, log: Logger): Promise<void> {
    const finalizers = instance.metadata.finalizers ?? [];
    if (!finalizers.includes(instanceCleanupFinalizer)) return;
    const deleted = await children.deleteAll(instance.spec.customer.namespace, instanceIdOf(instance));
    if (deleted.length > 0) log.info('deleted the instance children', { deleted });
    await events(instance, 'Normal', EventReason.CleanedUp, `deleted ${deleted.length} objects in namespace ${instance.spec.customer.namespace}`);
    // resourceVersion makes the patch conditional: a finalizer list changed meanwhile is a conflict, and a retry.
    await resources.instances.mergePatch(instance.metadata.namespace ?? '', instance.metadata.name ?? '', {
      metadata: { finalizers: finalizers.filter((f) => f !== instanceCleanupFinalizer), resourceVersion: instance.metadata.resourceVersion },
    });
    log.info('removed the cleanup finalizer');
  }

  async function ensureFinalizer(instance: BookInstanceDefinition, log: Logger): Promise<BookInstanceDefinition> {
    const finalizers = instance.metadata.finalizers ?? [];
    if (finalizers.includes(instanceCleanupFinalizer)) return instance;
    const patched = await resources.instances.mergePatch(instance.metadata.namespace ?? '', instance.metadata.name ?? '', {
      metadata: { finalizers: [...finalizers, instanceCleanupFinalizer], resourceVersion: instance.metadata.resourceVersion },
    });
    log.info('added the cleanup finalizer');
    return patched;
  }

  /** From the cache: a book that appears or changes re-queues its instances once the cache holds it. */
  function resolveBook(instance: BookInstanceDefinition): { book?: BookDefinition; observation: Observation } {
    const { name, version } = instance.spec.bookRef;
    const book = caches.books.get(name, instance.metadata.namespace);
    if (!book) return { observation: { status: 'False', reason: ConditionReason.BookNotFound, message: `BookDefinition ${name} not found` } };
    if (book.spec.version !== version) {
      return {
        observation: {
          status: 'False',
          reason: ConditionReason.BookVersionMismatch,
          message: `BookDefinition ${name} has version ${book.spec.version}, the instance asks for ${version}`,
        },
      };
    }
    return { book, observation: { status: 'True', reason: ConditionReason.BookFound, message: `BookDefinition ${name} version ${version}` } };
  }

  /** Creates the customer namespace when it does not exist; BDK never deletes it (it may hold the customer's own things). */
  async function ensureNamespace(name: string, log: Logger): Promise<void> {
    try {
      const namespace = await core.readNamespace({ name });
      if (namespace.metadata?.deletionTimestamp) throw new Error(`customer namespace ${name} is being deleted`);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      await core.createNamespace({ body: { metadata: { name } } });
      log.info('created the customer namespace', { namespace: name });
    }
  }

  /** Whether every credential's Secret and key exist. Reads names and keys only; values never leave the apiserver. */
  async function checkCredentials(id: InstanceIdentity, instance: BookInstanceDefinition): Promise<Observation> {
    const credentials = instance.spec.credentials ?? [];
    if (credentials.length === 0) return { status: 'True', reason: ConditionReason.NoCredentials, message: 'the instance declares no credentials' };
    const keysBySecret = new Map<string, string[]>();
    for (const credential of credentials) {
      const secret = credential.secretRef?.name ?? credentialsSecretName(id.bookName, id.instanceId);
      keysBySecret.set(secret, [...(keysBySecret.get(secret) ?? []), credential.secretRef?.key ?? credentialSecretKey(credential.name)]);
    }
    for (const [name, keys] of keysBySecret) {
      let data: Record<string, string>;
      try {
        data = (await core.readNamespacedSecret({ namespace: id.customerNamespace, name })).data ?? {};
      } catch (error) {
        if (!isNotFound(error)) throw error;
        return { status: 'False', reason: ConditionReason.SecretNotFound, message: `Secret ${id.customerNamespace}/${name} not found` };
      }
      const missing = keys.filter((key) => !(key in data));
      if (missing.length > 0) {
        return { status: 'False', reason: ConditionReason.SecretKeyMissing, message: `Secret ${id.customerNamespace}/${name} has no key ${missing.join(', ')}` };
      }
    }
    return { status: 'True', reason: ConditionReason.SecretsFound, message: `${credentials.length} credentials available` };
  }

  /** Server-side applies each child that differs from the cache; returns the Deployment as it now is and what changed. */
  async function applyChildren(id: InstanceIdentity, instance: BookInstanceDefinition, book: BookDefinition) {
    const changed: string[] = [];
    const { workloadName: name, customerNamespace: namespace } = id;
    const configMap = desiredConfigMap(id, instance, book);
    if (!upToDate(caches.configMaps.get(name, namespace), configMap)) {
      await children.applyConfigMap(configMap);
      changed.push(`ConfigMap/${name}`);
    }
    const service = desiredService(id, config);
    if (!upToDate(caches.services.get(name, namespace), service)) {
      await children.applyService(service);
      changed.push(`Service/${name}`);
    }
    const deploymentWanted = desiredDeployment(id, instance, book, config, configMap);
    let deployment: V1Deployment | undefined = caches.deployments.get(name, namespace);
    if (!upToDate(deployment, deploymentWanted)) {
      deployment = await children.applyDeployment(deploymentWanted);
      changed.push(`Deployment/${name}`);
    }
    const externalBook = desiredExternalBook(id, instance, book, config);
    if (!upToDate(caches.externalBooks.get(name, namespace), externalBook)) {
      await children.applyExternalBook(externalBook);
      changed.push(`ExternalBookDefinition/${name}`);
    }
    return { deployment, changed };
  }

  return async function reconcile(key) {
    const { namespace, name } = splitKey(key);
    const log = logger.child({ instance: key });
    // The apiserver, not the cache: a stale copy would turn every finalizer or status write into a conflict.
    let instance = await resources.instances.find(namespace, name);
    if (!instance) return undefined;
    if (instance.metadata.deletionTimestamp) {
      await cleanUp(instance, log);
      return undefined;
    }
    instance = await ensureFinalizer(instance, log);

    const { book, observation: bookObservation } = resolveBook(instance);
    let id: InstanceIdentity | undefined;
    let credentials: Observation | undefined;
    let deployment: V1Deployment | undefined;
    if (book) {
      id = identify(instance, book);
      await ensureNamespace(id.customerNamespace, log);
      credentials = await checkCredentials(id, instance);
      const applied = await applyChildren(id, instance, book);
      deployment = applied.deployment;
      if (applied.changed.length > 0) {
        log.info('applied the instance children', { namespace: id.customerNamespace, applied: applied.changed });
        await events(instance, 'Normal', EventReason.Applied, `applied ${applied.changed.join(', ')} in namespace ${id.customerNamespace}`);
      }
    } else {
      // Without a book nothing new is applied, but a Deployment made earlier still says how the book runs.
      const existing = caches.deployments.list(instance.spec.customer.namespace);
      deployment = existing.find((d) => d.metadata?.labels?.[bdkLabels.instanceId] === instanceIdOf(instance));
    }

    const status = desiredStatus({ instance, identity: id, book: bookObservation, credentials, deployment, now: now() });
    const previousPhase = instance.status?.phase;
    if (statusChanged(instance.status, status)) {
      await resources.instances.mergePatchStatus(namespace, name, status);
      log.info('updated the instance status', { phase: status.phase, previousPhase, deployment_status: status.deployment_status });
      if (status.phase !== previousPhase) {
        if (status.phase === 'Ready') await events(instance, 'Normal', EventReason.Ready, 'every book replica is ready');
        else if (status.phase === 'Failed') await events(instance, 'Warning', EventReason.BookNotFound, bookObservation.message);
        else if (previousPhase === 'Ready') await events(instance, 'Normal', EventReason.NotReady, `phase ${status.phase ?? ''}`);
      }
    }
    return book && credentials?.status === 'True' ? undefined : { requeueAfterMs: waitingRequeueMs };
  };
}
