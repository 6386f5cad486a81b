// Reconcile one BookInstanceDefinition, level-based: given only its key, make the customer namespace match the
// instance's spec and report what is there. Shape (controller-runtime's): fetch; gone → done; deleting → clean
// up, drop the finalizer, stop; otherwise ensure the finalizer, the book, the namespace and every child, then
// write status. A pass with nothing to change writes nothing.
import {
  bdkLabels,
  followsRange,
  instanceCleanupFinalizer,
  isNotFound,
  resolveRange,
  type BdkResources,
  type BookDefinition,
  type BookInstanceDefinition,
} from '@bdk/k8s';
import type { Logger } from '@bdk/service-runtime';
import { AppsV1Api, CoreV1Api, type KubeConfig, type V1Deployment, type V1Pod, type V1ReplicaSet } from '@kubernetes/client-node';
import type { ControllerConfig } from '../config.js';
import type { ReconcileResult } from '@bdk/controller-runtime';
import type { ControllerCaches } from './caches.js';
import { splitKey } from './caches.js';
import { upToDate, type ChildWriter } from './children.js';
import { ConditionReason, EventReason } from './conditions.js';
import { digestSecret, observeCredentials, type CredentialsObservation } from './credentials.js';
import type { CustomerNamespaces } from './customer-namespace.js';
import {
  desiredAutoscaler,
  desiredConfigMap,
  desiredDeployment,
  desiredExternalBook,
  desiredService,
  desiredSharedConfigMap,
  desiredSharedDeployment,
  desiredSharedService,
  identify,
  instanceIdOf,
  organizationIdOf,
  type InstanceIdentity,
  type SharedWorkload,
} from './desired-objects.js';
import type { EventRecorder } from './events.js';
import { desiredStatus, failure, statusChanged, type Observation } from './instance-status.js';
import { desiredNamespacePolicy, type NamespacePolicyObject } from './namespace-policy.js';
import { createOwnWrites } from './own-writes.js';
import { heldBack, planRollback, rollbackRecord, rollbackTemplate, type RollbackRecord } from './rollback.js';
import { sharedWorkloadLabel, sharedWorkloadOf, sharedWorkloadSelector, sharingInstances } from './placement.js';
import { observeRollout } from './rollout-health.js';
import { shareConnections } from './shared-connections.js';
import type { WorkloadPolicy } from './workload-policy.js';

/** How soon to look again at an instance waiting on something no cache watches (a missing book or Secret). */
export const waitingRequeueMs = 30_000;

/** The Warning Event that reports each reason an instance is Failed. */
const failureEventReason: Partial<Record<ConditionReason, EventReason>> = {
  [ConditionReason.BookNotFound]: EventReason.BookNotFound,
  [ConditionReason.BookVersionMismatch]: EventReason.BookNotFound,
  [ConditionReason.NoMatchingVersion]: EventReason.BookNotFound,
  [ConditionReason.BookWithdrawn]: EventReason.BookWithdrawn,
  [ConditionReason.NamespaceNotOwned]: EventReason.NamespaceNotOwned,
  [ConditionReason.NamespaceReserved]: EventReason.NamespaceReserved,
  [ConditionReason.OrganizationInvalid]: EventReason.OrganizationInvalid,
  [ConditionReason.RolledBack]: EventReason.RolledBack,
  [ConditionReason.RolloutFailed]: EventReason.RolloutFailed,
};

export interface InstanceReconcilerDeps {
  kubeConfig: KubeConfig;
  resources: BdkResources;
  caches: ControllerCaches;
  children: ChildWriter;
  namespaces: CustomerNamespaces;
  config: ControllerConfig;
  policy: WorkloadPolicy;
  events: EventRecorder;
  logger: Logger;
  now?: () => Date;
}

/** What the reconcile found and did in the customer namespace. */
interface Applied {
  deployment?: V1Deployment;
  changed: string[];
  rollback?: RollbackRecord;
  credentials: CredentialsObservation;
  /** The instance is suspended and its workload held at no Pods. */
  suspended?: boolean;
}

export function createInstanceReconciler(deps: InstanceReconcilerDeps): (key: string) => Promise<ReconcileResult | undefined> {
  const { resources, caches, children, namespaces, config, policy, events, logger } = deps;
  // In place: every client made from this KubeConfig, deps.resources included, shares the connections.
  const core = shareConnections(deps.kubeConfig).makeApiClient(CoreV1Api);
  const apps = shareConnections(deps.kubeConfig).makeApiClient(AppsV1Api);
  const now = deps.now ?? (() => new Date());
  const ownWrites = createOwnWrites<BookInstanceDefinition>();

  async function cleanUp(instance: BookInstanceDefinition, log: Logger): Promise<void> {
    const finalizers = instance.metadata.finalizers ?? [];
    if (!finalizers.includes(instanceCleanupFinalizer)) return;
    const customerNamespace = instance.spec.customer.namespace;
    // Deleting is writing: in a namespace that is not the organisation's, nothing of the instance was ever made,
    // and objects that carry its labels there are someone else's.
    if (await namespaces.owned(customerNamespace, organizationIdOf(instance))) {
      const deleted = await children.deleteAll(customerNamespace, instanceIdOf(instance));
      const shared = sharedWorkloadOf(instance);
      // The shared workload goes with the last instance it serves (this one is deleting, so no longer counted).
      if (shared && sharingInstances(shared, caches.instances.list(instance.metadata.namespace)).length === 0) {
        deleted.push(...(await children.deleteAll(policy.sharedNamespace, undefined, sharedWorkloadSelector(shared))));
      }
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

  /**
   * From the cache: a book that appears or changes re-queues its instances once the cache holds it (for a range,
   * every instance that follows the book's name, so a newly published version is picked up).
   */
  function resolveBook(instance: BookInstanceDefinition): { book?: BookDefinition; observation: Observation } {
    const { name, version } = instance.spec.bookRef;
    if (followsRange(instance)) {
      const resolution = resolveRange(version, name, organizationIdOf(instance), caches.books.list(instance.metadata.namespace));
      if (!resolution.book) return { observation: { status: 'False', reason: ConditionReason.NoMatchingVersion, message: resolution.message } };
      return { book: resolution.book, observation: { status: 'True', reason: ConditionReason.BookFound, message: resolution.message } };
    }
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
    // The apiserver cannot look at the book when an instance is applied, so a withdrawn version is refused here:
    // an instance that does not run it yet never will. One that ran it before it was withdrawn keeps running.
    if (book.spec.lifecycle?.state === 'withdrawn' && !alreadyRuns(instance, book)) {
      const why = book.spec.lifecycle.message ? `: ${book.spec.lifecycle.message}` : '';
      return {
        observation: {
          status: 'False',
          reason: ConditionReason.BookWithdrawn,
          message: `book ${book.spec.name} version ${version} (BookDefinition ${name}) is withdrawn${why}; it takes no new instances`,
        },
      };
    }
    return { book, observation: { status: 'True', reason: ConditionReason.BookFound, message: `BookDefinition ${name} version ${version}` } };
  }

  /**
   * Whether the instance was running `book` already: its status records it, or (written before the status had
   * resolved_book) it reached a running phase.
   */
  function alreadyRuns(instance: BookInstanceDefinition, book: BookDefinition): boolean {
    const status = instance.status;
    if (status?.resolved_book !== undefined) return status.resolved_book === book.metadata.name;
    return status?.phase === 'Ready' || status?.phase === 'Updating' || status?.phase === 'Suspended';
  }

  /** Whether the customer namespace may be written into for the instance's organisation, creating it when absent. */
  async function checkNamespace(instance: BookInstanceDefinition, log: Logger): Promise<Observation> {
    const name = instance.spec.customer.namespace;
    const organizationId = organizationIdOf(instance);
    const check = await namespaces.ensure(name, organizationId, log, caches.namespaces.get(name));
    if (!check.writable) return { status: 'False', reason: ConditionReason[check.reason], message: check.message };
    return { status: 'True', reason: ConditionReason.NamespaceOwned, message: `namespace ${name} is managed by BDK for organisation ${organizationId}` };
  }

  /**
   * A credentials Secret as digests: BDK's own from the watched cache; one the instance names that BDK did not write
   * (no purpose label, so not watched) from the apiserver, digested before anything keeps it.
   */
  async function readDigestedSecret(namespace: string, name: string) {
    const cached = caches.credentialSecrets.get(name, namespace);
    if (cached) return cached;
    try {
      return digestSecret(await core.readNamespacedSecret({ namespace, name }));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  function cachedPolicyObject(object: NamespacePolicyObject) {
    const { name, namespace } = object.metadata;
    switch (object.kind) {
      case 'ResourceQuota':
        return caches.resourceQuotas.get(name, namespace);
      case 'LimitRange':
        return caches.limitRanges.get(name, namespace);
      default:
        return caches.networkPolicies.get(name, namespace);
    }
  }

  /** The customer namespace's quota, limits and network policies, restored whenever they differ. */
  async function applyNamespacePolicy(namespace: string, changed: string[]): Promise<void> {
    for (const object of desiredNamespacePolicy(namespace, policy.namespace)) {
      if (upToDate(cachedPolicyObject(object), object)) continue;
      await children.applyNamespacePolicy(object);
      changed.push(`${object.kind}/${object.metadata.name}`);
    }
  }

  /**
   * A shared instance: the shared workload of its book version in BDK's shared namespace (applied by whichever of its
   * instances reconciles first; the same object for all), and in the customer namespace only what is the instance's
   * own: its ExternalBookDefinition (and the Secrets StoreInstanceSecrets wrote).
   */
  async function applyShared(id: InstanceIdentity, instance: BookInstanceDefinition, book: BookDefinition, log: Logger): Promise<Applied> {
    const changed: string[] = [];
    const shared: SharedWorkload = { name: sharedWorkloadOf(instance) ?? '', namespace: policy.sharedNamespace, bookName: book.spec.name };
    await applyNamespacePolicy(id.customerNamespace, changed);
    const credentials = await observeCredentials(id, instance, readDigestedSecret);
    if (!(await namespaces.ensureShared(shared.namespace, log))) {
      throw new Error(`namespace ${shared.namespace} exists and is not managed by BDK: shared workloads cannot run there`);
    }
    await applyNamespacePolicy(shared.namespace, changed);
    const configMap = desiredSharedConfigMap(shared, book);
    if (!upToDate(caches.configMaps.get(shared.name, shared.namespace), configMap)) {
      await children.applyConfigMap(configMap);
      changed.push(`ConfigMap/${shared.namespace}/${shared.name}`);
    }
    const service = desiredSharedService(shared, config);
    if (!upToDate(caches.services.get(shared.name, shared.namespace), service)) {
      await children.applyService(service);
      changed.push(`Service/${shared.namespace}/${shared.name}`);
    }
    // As many as the largest active instance asks for; none while every instance it serves is suspended.
    const replicas = Math.max(
      0,
      ...sharingInstances(shared.name, caches.instances.list(instance.metadata.namespace))
        .filter((i) => !i.spec.suspended)
        .map((i) => i.spec.deployment?.replicas ?? 1),
    );
    const wanted = desiredSharedDeployment(shared, book, config, { configMap, replicas, progressDeadlineSeconds: policy.progressDeadlineSeconds });
    let deployment = caches.deployments.get(shared.name, shared.namespace);
    if (!upToDate(deployment, wanted)) {
      deployment = await children.applyDeployment(wanted);
      changed.push(`Deployment/${shared.namespace}/${shared.name}`);
    }
    const externalBook = desiredExternalBook(id, instance, book, config, { service: shared.name, namespace: shared.namespace });
    if (!upToDate(caches.externalBooks.get(id.workloadName, id.customerNamespace), externalBook)) {
      await children.applyExternalBook(externalBook);
      changed.push(`ExternalBookDefinition/${id.workloadName}`);
    }
    return { deployment, changed, credentials };
  }

  /**
   * A suspended instance: its Pods go (the Deployment is scaled to 0 and its autoscaler removed, so nothing scales it
   * back) and nothing else is touched until it resumes, when the next pass applies the spec again.
   */
  async function suspend(id: InstanceIdentity, instance: BookInstanceDefinition, changed: string[]): Promise<Applied> {
    const { workloadName: name, customerNamespace: namespace } = id;
    if (caches.autoscalers.get(name, namespace)) {
      await children.deleteAutoscaler(namespace, name);
      changed.push(`HorizontalPodAutoscaler/${name} (deleted: suspended)`);
    }
    let deployment = caches.deployments.get(name, namespace);
    if (deployment && deployment.spec?.replicas !== 0) {
      deployment = await children.scale(deployment, 0);
      changed.push(`Deployment/${name} (scaled to 0: suspended)`);
    }
    const credentials = { observation: { status: 'True' as const, reason: ConditionReason.Suspended, message: 'not checked while suspended' }, digest: '' };
    return { deployment, changed, credentials, suspended: true };
  }

  /** The ReplicaSets and Pods of the workload that serves the instance (its own, or its book version's shared one). */
  function workloadObjects(instance: BookInstanceDefinition, deployment: V1Deployment | undefined): { replicaSets: V1ReplicaSet[]; pods: V1Pod[] } {
    const shared = sharedWorkloadOf(instance);
    const namespace = deployment?.metadata?.namespace ?? instance.spec.customer.namespace;
    const selects = (object: { metadata?: { labels?: Record<string, string> } }) =>
      shared ? object.metadata?.labels?.[sharedWorkloadLabel] === shared : object.metadata?.labels?.[bdkLabels.instanceId] === instanceIdOf(instance);
    return { replicaSets: caches.replicaSets.list(namespace).filter(selects), pods: caches.pods.list(namespace).filter(selects) };
  }

  /**
   * Server-side applies each child that differs from the cache, then looks at the rollout: a rollout that failed
   * for the spec as it is now puts the Deployment back on its previous template, once.
   */
  async function applyChildren(id: InstanceIdentity, instance: BookInstanceDefinition, book: BookDefinition, log: Logger): Promise<Applied> {
    const changed: string[] = [];
    const { workloadName: name, customerNamespace: namespace } = id;
    if (instance.spec.suspended) return suspend(id, instance, changed);
    await applyNamespacePolicy(namespace, changed);
    const credentials = await observeCredentials(id, instance, readDigestedSecret);
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
    const autoscaler = desiredAutoscaler(id, instance);
    if (autoscaler) {
      if (!upToDate(caches.autoscalers.get(name, namespace), autoscaler)) {
        await children.applyAutoscaler(autoscaler);
        changed.push(`HorizontalPodAutoscaler/${name}`);
      }
    } else if (caches.autoscalers.get(name, namespace)) {
      await children.deleteAutoscaler(namespace, name);
      changed.push(`HorizontalPodAutoscaler/${name} (deleted)`);
    }

    const wanted = desiredDeployment(id, instance, book, config, {
      configMap,
      credentialsDigest: credentials.digest,
      progressDeadlineSeconds: policy.progressDeadlineSeconds,
    });
    let deployment: V1Deployment | undefined = caches.deployments.get(name, namespace);
    // Held back: this spec failed to roll out and the book runs the template before it until the spec changes.
    const previousRollback = instance.status?.rollback;
    const held = heldBack(previousRollback, wanted);
    // Without the digest of every credential the pods would start without them; the rollout waits for the Secret.
    if (!held && credentials.observation.status === 'True' && !upToDate(deployment, wanted)) {
      deployment = await children.applyDeployment(wanted);
      changed.push(`Deployment/${name}`);
    }
    // Autoscaled, the count is the autoscaler's; below its minimum (just resumed from a suspension, which scaled the
    // book to 0) it is raised at once, so the instance is not Ready with no Pods until the autoscaler's next sync.
    const minReplicas = instance.spec.deployment?.autoscaling?.min_replicas ?? 1;
    if (autoscaler && deployment && (deployment.spec?.replicas ?? 0) < minReplicas) {
      deployment = await children.scale(deployment, minReplicas);
      changed.push(`Deployment/${name} (scaled to ${minReplicas})`);
    }
    const externalBook = desiredExternalBook(id, instance, book, config);
    if (!upToDate(caches.externalBooks.get(name, namespace), externalBook)) {
      await children.applyExternalBook(externalBook);
      changed.push(`ExternalBookDefinition/${name}`);
    }
    if (held) return { deployment, changed, rollback: previousRollback, credentials };

    const { replicaSets, pods } = workloadObjects(instance, deployment);
    const health = observeRollout(deployment, replicaSets, pods);
    if (deployment && health.failure && changed.length === 0) {
      const plan = planRollback(deployment, replicaSets);
      const template = plan && rollbackTemplate(await apps.readNamespacedReplicaSet({ namespace: deployment.metadata?.namespace ?? namespace, name: plan.replicaSet }));
      if (plan && template) {
        deployment = await children.replaceTemplate(deployment, template);
        const rollback = rollbackRecord(wanted, plan, health.failure, now());
        log.warn('rolled the book back: its rollout failed', { reason: health.failure.reason, message: health.failure.message, revision: plan.revision });
        await events(instance, 'Warning', EventReason.RolledBack, `${health.failure.message}; rolled back to revision ${plan.revision}`);
        return { deployment, changed: [...changed, `Deployment/${name} (rolled back)`], rollback, credentials };
      }
    }
    return { deployment, changed, credentials };
  }

  return async function reconcile(key) {
    const { namespace, name } = splitKey(key);
    const log = logger.child({ instance: key });
    // The cache (the apiserver would be a quorum read per reconcile), or this controller's own last write while the
    // cache has not caught up with it.
    let instance = ownWrites.read(key, caches.instances.get(name, namespace));
    if (!instance) return undefined;
    if (instance.metadata.deletionTimestamp) {
      await cleanUp(instance, log);
      return undefined;
    }
    const withFinalizer = await ensureFinalizer(instance, log);
    if (withFinalizer !== instance) ownWrites.wrote(key, instance, withFinalizer);
    instance = withFinalizer;

    const { book, observation: bookObservation } = resolveBook(instance);
    let id: InstanceIdentity | undefined;
    let namespaceObservation: Observation | undefined;
    let applied: Applied | undefined;
    let deployment: V1Deployment | undefined;
    if (book) {
      id = identify(instance, book);
      namespaceObservation = await checkNamespace(instance, log);
      // A namespace BDK may not use gets nothing: no children, not even a read of its Secrets.
      if (namespaceObservation.status === 'True') {
        applied = id.deploymentType === 'shared' ? await applyShared(id, instance, book, log) : await applyChildren(id, instance, book, log);
        deployment = applied.deployment;
        if (applied.changed.length > 0) {
          log.info('applied the instance children', { namespace: id.customerNamespace, applied: applied.changed });
          await events(instance, 'Normal', EventReason.Applied, `applied ${applied.changed.join(', ')} in namespace ${id.customerNamespace}`);
        }
      }
    } else {
      // Without a book nothing new is applied, but a Deployment made earlier still says how the book runs.
      const shared = sharedWorkloadOf(instance);
      deployment = shared
        ? caches.deployments.get(shared, policy.sharedNamespace)
        : caches.deployments.list(instance.spec.customer.namespace).find((d) => d.metadata?.labels?.[bdkLabels.instanceId] === instanceIdOf(instance));
    }

    const { replicaSets, pods } = workloadObjects(instance, deployment);
    const rollout = observeRollout(deployment, replicaSets, pods);
    const observed = {
      instance,
      identity: id,
      book: bookObservation,
      namespace: namespaceObservation,
      credentials: applied?.credentials.observation,
      rollout,
      rollback: applied?.rollback,
      resolvedBook: book,
      suspended: instance.spec.suspended === true,
      now: now(),
    };
    const status = desiredStatus(observed);
    const previousPhase = instance.status?.phase;
    if (statusChanged(instance.status, status)) {
      // A merge patch keeps what it does not name: a rollback record the spec has moved past is removed explicitly.
      const clearRollback = instance.status?.rollback && !status.rollback ? { rollback: null } : {};
      ownWrites.wrote(key, instance, await resources.instances.mergePatchStatus(namespace, name, { ...status, ...clearRollback } as typeof status));
      log.info('updated the instance status', { phase: status.phase, previousPhase, deployment_status: status.deployment_status });
      const failed = failure(observed);
      if (status.phase === 'Failed' && failed) {
        // Once per cause: a Failed instance that fails for a new reason (its book appeared, its namespace is refused) says so.
        const reported = previousPhase === 'Failed' && instance.status?.conditions?.some((c) => c.type === 'Ready' && c.reason === failed.reason);
        // A rollback has its own Event, recorded when it was made.
        if (!reported && failed.reason !== ConditionReason.RolledBack) {
          await events(instance, 'Warning', failureEventReason[failed.reason] ?? EventReason.BookNotFound, failed.message);
        }
      } else if (status.phase !== previousPhase) {
        if (status.phase === 'Ready') await events(instance, 'Normal', EventReason.Ready, 'every book replica is ready');
        else if (status.phase === 'Suspended') await events(instance, 'Normal', EventReason.Suspended, 'suspended: no Pods run, webhooks are held until it resumes');
        else if (previousPhase === 'Ready') await events(instance, 'Normal', EventReason.NotReady, `phase ${status.phase ?? ''}`);
      }
    }
    // Waiting on what no cache watches (a missing book, a Secret BDK did not write, a refused namespace): the slow
    // timer looks again, so a namespace an operator hands over is noticed without retrying the refusal in a hot loop.
    return book && applied?.credentials.observation.status === 'True' ? undefined : { requeueAfterMs: waitingRequeueMs };
  };
}
