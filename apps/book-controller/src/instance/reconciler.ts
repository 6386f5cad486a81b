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
import type { CustomerNamespaces } from './customer-namespace.js';
import {
  desiredConfigMap,
  desiredDeployment,
  desiredExternalBook,
  desiredService,
  identify,
  instanceIdOf,
  organizationIdOf,
  type InstanceIdentity,
} from './desired-objects.js';
import type { EventRecorder } from './events.js';
import { desiredStatus, failure, statusChanged, type Observation } from './instance-status.js';

/** How soon to look again at an instance waiting on something no cache watches (a missing book or Secret). */
export const waitingRequeueMs = 30_000;

/** The Warning Event that reports each reason an instance is Failed. */
const failureEventReason: Partial<Record<ConditionReason, EventReason>> = {
  [ConditionReason.BookNotFound]: EventReason.BookNotFound,
  [ConditionReason.BookVersionMismatch]: EventReason.BookNotFound,
  [ConditionReason.NamespaceNotOwned]: EventReason.NamespaceNotOwned,
  [ConditionReason.NamespaceReserved]: EventReason.NamespaceReserved,
  [ConditionReason.OrganizationInvalid]: EventReason.OrganizationInvalid,
};

export interface InstanceReconcilerDeps {
  kubeConfig: KubeConfig;
  resources: BdkResources;
  caches: ControllerCaches;
  children: ChildWriter;
  namespaces: CustomerNamespaces;
  config: ControllerConfig;
  events: EventRecorder;
  logger: Logger;
  now?: () => Date;
}

export function createInstanceReconciler(deps: InstanceReconcilerDeps): (key: string) => Promise<ReconcileResult | undefined> {
  const { resources, caches, children, namespaces, config, events, logger } = deps;
  const core = deps.kubeConfig.makeApiClient(CoreV1Api);
  const now = deps.now ?? (() => new Date());

  async function cleanUp(instance: BookInstanceDefinition, log: Logger): Promise<void> {
    const finalizers = instance.metadata.finalizers ?? [];
    if (!finalizers.includes(instanceCleanupFinalizer)) return;
    const customerNamespace = instance.spec.customer.namespace;
    // Deleting is writing: in a namespace that is not the organisation's, nothing of the instance was ever made,
    // and objects that carry its labels there are someone else's.
    if (await namespaces.owned(customerNamespace, organizationIdOf(instance))) {
      const deleted = await children.deleteAll(customerNamespace, instanceIdOf(instance));
      if (deleted.length > 0) log.info('deleted the instance children', { deleted });
      await events(instance, 'Normal', EventReason.CleanedUp, `deleted ${deleted.length} objects in namespace ${customerNamespace}`);
    } else {
      log.info('left the customer namespace alone: it is absent or not the organisation\'s', { namespace: customerNamespace });
    }
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

  /** Whether the customer namespace may be written into for the instance's organisation, creating it when absent. */
  async function checkNamespace(instance: BookInstanceDefinition, log: Logger): Promise<Observation> {
    const name = instance.spec.customer.namespace;
    const organizationId = organizationIdOf(instance);
    const check = await namespaces.ensure(name, organizationId, log);
    if (!check.writable) return { status: 'False', reason: ConditionReason[check.reason], message: check.message };
    return { status: 'True', reason: ConditionReason.NamespaceOwned, message: `namespace ${name} is managed by BDK for organisation ${organizationId}` };
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
    let namespaceObservation: Observation | undefined;
    let credentials: Observation | undefined;
    let deployment: V1Deployment | undefined;
    if (book) {
      id = identify(instance, book);
      namespaceObservation = await checkNamespace(instance, log);
      // A namespace BDK may not use gets nothing: no children, not even a read of its Secrets.
      if (namespaceObservation.status === 'True') {
        credentials = await checkCredentials(id, instance);
        const applied = await applyChildren(id, instance, book);
        deployment = applied.deployment;
        if (applied.changed.length > 0) {
          log.info('applied the instance children', { namespace: id.customerNamespace, applied: applied.changed });
          await events(instance, 'Normal', EventReason.Applied, `applied ${applied.changed.join(', ')} in namespace ${id.customerNamespace}`);
        }
      }
    } else {
      // Without a book nothing new is applied, but a Deployment made earlier still says how the book runs.
      const existing = caches.deployments.list(instance.spec.customer.namespace);
      deployment = existing.find((d) => d.metadata?.labels?.[bdkLabels.instanceId] === instanceIdOf(instance));
    }

    const observed = { instance, identity: id, book: bookObservation, namespace: namespaceObservation, credentials, deployment, now: now() };
    const status = desiredStatus(observed);
    const previousPhase = instance.status?.phase;
    if (statusChanged(instance.status, status)) {
      await resources.instances.mergePatchStatus(namespace, name, status);
      log.info('updated the instance status', { phase: status.phase, previousPhase, deployment_status: status.deployment_status });
      const failed = failure(observed);
      if (status.phase === 'Failed' && failed) {
        // Once per cause: a Failed instance that fails for a new reason (its book appeared, its namespace is refused) says so.
        const reported = previousPhase === 'Failed' && instance.status?.conditions?.some((c) => c.status === failed.status && c.reason === failed.reason);
        if (!reported) await events(instance, 'Warning', failureEventReason[failed.reason] ?? EventReason.BookNotFound, failed.message);
      } else if (status.phase !== previousPhase) {
        if (status.phase === 'Ready') await events(instance, 'Normal', EventReason.Ready, 'every book replica is ready');
        else if (previousPhase === 'Ready') await events(instance, 'Normal', EventReason.NotReady, `phase ${status.phase ?? ''}`);
      }
    }
    // Waiting on what no cache watches (a missing book or Secret, a refused namespace): the slow timer looks
    // again, so a namespace an operator hands over is noticed without retrying the refusal in a hot loop.
    return book && credentials?.status === 'True' ? undefined : { requeueAfterMs: waitingRequeueMs };
  };
}
