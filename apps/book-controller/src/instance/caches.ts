// The controller's list+watch caches: BookInstanceDefinitions and BookDefinitions in BDK's namespace, the
// namespaces BDK manages, the children BDK manages in customer namespaces and the ReplicaSets and Pods made from
// them (selected by app.kubernetes.io/managed-by=bdk), the instances' credentials Secrets (digests only) and their
// webhook signing Secrets, which ListWebhookSubscribers answers from. Every change is mapped to the key of the instance it
// concerns (or, for a namespace-wide object, of every instance in that namespace) and handed to `enqueue`.
import {
  bdkAnnotations,
  bdkLabels,
  bdkResources,
  resourcePath,
  externalBookDefinitionResource,
  labelSelector,
  managedByBdk,
  secretPurposes,
  customResourceInformer,
  followsRange,
  RestartingInformer,
  type BookDefinition,
  type BookInstanceDefinition,
  type ExternalBookDefinition,
} from '@bdk/k8s';
import type { Logger } from '@bdk/service-runtime';
import {
  AppsV1Api,
  AutoscalingV2Api,
  CoreV1Api,
  CustomObjectsApi,
  NetworkingV1Api,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type V1ConfigMap,
  type V1Deployment,
  type V1LimitRange,
  type V1Namespace,
  type V1NetworkPolicy,
  type V1Pod,
  type V1ReplicaSet,
  type V1ResourceQuota,
  type V1Secret,
  type V1Service,
  type V2HorizontalPodAutoscaler,
} from '@kubernetes/client-node';
import { slimPod, slimReplicaSet } from './cache-transforms.js';
import { digestSecret } from './credentials.js';
import { CustomerNamespaceIndex } from './customer-namespace-index.js';
import { listInPages, oneAtATime } from './paged-list.js';
import { shareConnections } from './shared-connections.js';
import { sharedWorkloadLabel, sharedWorkloadOf, sharingInstances } from './placement.js';

export interface ControllerCaches {
  readonly instances: RestartingInformer<BookInstanceDefinition>;
  readonly books: RestartingInformer<BookDefinition>;
  readonly deployments: RestartingInformer<V1Deployment>;
  readonly services: RestartingInformer<V1Service>;
  readonly configMaps: RestartingInformer<V1ConfigMap>;
  readonly externalBooks: RestartingInformer<ExternalBookDefinition>;
  readonly autoscalers: RestartingInformer<V2HorizontalPodAutoscaler>;
  /** The books' ReplicaSets and Pods, trimmed to what rollout health and rollback read (cache-transforms). */
  readonly replicaSets: RestartingInformer<V1ReplicaSet>;
  readonly pods: RestartingInformer<V1Pod>;
  /** The namespaces BDK manages (customer namespaces and the shared one): the reconcile checks ownership here. */
  readonly namespaces: RestartingInformer<V1Namespace>;
  /** Namespace-wide objects of customer namespaces (namespace-policy). */
  readonly resourceQuotas: RestartingInformer<V1ResourceQuota>;
  readonly limitRanges: RestartingInformer<V1LimitRange>;
  readonly networkPolicies: RestartingInformer<V1NetworkPolicy>;
  /** The instances' credentials Secrets, each value replaced by its digest: the controller holds no credential. */
  readonly credentialSecrets: RestartingInformer<V1Secret>;
  /** Every instance's webhook signing Secret, in every namespace. */
  readonly signingSecrets: RestartingInformer<V1Secret>;
  start(): Promise<void>;
  /** Resolves once every cache holds a full list. */
  synced(): Promise<void>;
  readonly isSynced: boolean;
  stop(): Promise<void>;
}

/** `namespace/name`, the work queue's key for an object. */
export function objectKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

export function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** The instance a child belongs to, from its `bdk.voyager.io/instance` annotation. */
export function ownerKeyOf(child: KubernetesObject): string | undefined {
  const ref = child.metadata?.annotations?.[bdkAnnotations.instanceRef];
  return ref && ref.includes('/') ? ref : undefined;
}

export function createControllerCaches(options: {
  kubeConfig: KubeConfig;
  namespace: string;
  logger: Logger;
  enqueue: (key: string) => void;
  /** The book reconciler's queue: a book that changes, and every instance change that concerns a book. */
  enqueueBook?: (key: string) => void;
}): ControllerCaches {
  const { namespace, logger, enqueue } = options;
  const enqueueBook = options.enqueueBook ?? (() => undefined);
  const kubeConfig = shareConnections(options.kubeConfig);
  const custom = kubeConfig.makeApiClient(CustomObjectsApi);
  const resources = bdkResources(kubeConfig);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const apps = kubeConfig.makeApiClient(AppsV1Api);
  const autoscaling = kubeConfig.makeApiClient(AutoscalingV2Api);
  const networking = kubeConfig.makeApiClient(NetworkingV1Api);
  const managed = labelSelector({ [bdkLabels.managedBy]: managedByBdk });
  // Read in pages, one list at a time: at start-up every cache lists, and thousands of objects as the apiserver
  // sends them (managedFields and all, as text, parsed, then typed) would otherwise be in memory together.
  const inTurn = oneAtATime();
  const paged =
    <T extends KubernetesObject>(page: (options: { limit: number; _continue?: string }) => Promise<KubernetesListObject<T>>, reduce?: (object: T) => T) =>
    () =>
      inTurn(() => listInPages(page, reduce));
  /** A cache of one kind: listed in pages and watched, with `selector`, each object trimmed by `transform`. */
  const cache = <T extends KubernetesObject>(
    name: string,
    path: string,
    selector: string,
    list: (query: { labelSelector: string; limit: number; _continue?: string }) => Promise<KubernetesListObject<T>>,
    handlers: { transform?: (object: T) => T; onChange?: (object: T) => void } = {},
  ) =>
    new RestartingInformer<T>({
      name,
      kubeConfig,
      logger,
      path,
      labelSelector: selector,
      list: paged((page) => list({ labelSelector: selector, ...page }), handlers.transform),
      ...handlers,
    });
  // A child names its instance; an object of a shared workload concerns every instance it serves.
  const enqueueOwner = (child: KubernetesObject) => {
    const key = ownerKeyOf(child);
    if (key) {
      enqueue(key);
      return;
    }
    const shared = child.metadata?.labels?.[sharedWorkloadLabel];
    if (!shared) return;
    for (const instance of sharingInstances(shared, instances.list(namespace))) enqueue(objectKey(namespace, instance.metadata.name ?? ''));
  };

  const byCustomerNamespace = new CustomerNamespaceIndex();
  const instances = customResourceInformer({
    kubeConfig,
    client: resources.instances,
    namespace,
    logger,
    onChange: (instance) => {
      const { name = '', namespace: instanceNamespace = namespace } = instance.metadata;
      // The cache has applied the change already: an instance no longer in it was deleted.
      byCustomerNamespace.update(objectKey(instanceNamespace, name), instances.get(name, instanceNamespace) ? instance.spec.customer.namespace : undefined);
      enqueue(objectKey(instanceNamespace, name));
      // The shared workload's size is the largest its instances ask for: one that changes or goes concerns the rest.
      const shared = sharedWorkloadOf(instance);
      if (shared) for (const other of sharingInstances(shared, instances.list(namespace))) enqueue(objectKey(namespace, other.metadata.name ?? ''));
      // An instance that appears, moves or goes may hold a book, or stop holding one that waits to be deleted.
      if (!followsRange(instance)) enqueueBook(objectKey(instanceNamespace, instance.spec.bookRef.name));
      else for (const book of books.list(instanceNamespace)) if (book.spec.name === instance.spec.bookRef.name) enqueueBook(objectKey(instanceNamespace, book.metadata.name ?? ''));
    },
  });
  const books = customResourceInformer({
    kubeConfig,
    client: resources.books,
    namespace,
    logger,
    // A book that appears, changes or goes away concerns every instance that pins it, and every instance whose
    // range follows its name (a new version may be the one the range resolves to now).
    onChange: (book) => {
      enqueueBook(objectKey(book.metadata.namespace ?? namespace, book.metadata.name ?? ''));
      for (const instance of instances.list(namespace)) {
        const follows = followsRange(instance) ? instance.spec.bookRef.name === book.spec.name : instance.spec.bookRef.name === book.metadata.name;
        if (follows) enqueue(objectKey(namespace, instance.metadata.name ?? ''));
      }
    },
  });
  const deployments = cache<V1Deployment>(
    'deployments',
    '/apis/apps/v1/deployments',
    managed,
    (query) => apps.listDeploymentForAllNamespaces(query),
    { onChange: enqueueOwner },
  );
  const services = cache<V1Service>(
    'services',
    '/api/v1/services',
    managed,
    (query) => core.listServiceForAllNamespaces(query),
    { onChange: enqueueOwner },
  );
  const configMaps = cache<V1ConfigMap>(
    'configmaps',
    '/api/v1/configmaps',
    managed,
    (query) => core.listConfigMapForAllNamespaces(query),
    { onChange: enqueueOwner },
  );
  const externalBooks = cache<ExternalBookDefinition>(
    'externalbookdefinitions',
    resourcePath(externalBookDefinitionResource),
    managed,
    async (query) =>
      (await custom.listClusterCustomObject({
        group: externalBookDefinitionResource.group,
        version: externalBookDefinitionResource.version,
        plural: externalBookDefinitionResource.plural,
        ...query,
      })) as KubernetesListObject<ExternalBookDefinition>,
    { onChange: enqueueOwner },
  );

  const autoscalers = cache<V2HorizontalPodAutoscaler>(
    'horizontalpodautoscalers',
    '/apis/autoscaling/v2/horizontalpodautoscalers',
    managed,
    (query) => autoscaling.listHorizontalPodAutoscalerForAllNamespaces(query),
    { onChange: enqueueOwner },
  );
  // A book's ReplicaSets and Pods carry the template's labels, managed-by included.
  const replicaSets = cache<V1ReplicaSet>(
    'replicasets',
    '/apis/apps/v1/replicasets',
    managed,
    (query) => apps.listReplicaSetForAllNamespaces(query),
    { transform: slimReplicaSet, onChange: enqueueOwner },
  );
  const pods = cache<V1Pod>(
    'pods',
    '/api/v1/pods',
    managed,
    (query) => core.listPodForAllNamespaces(query),
    { transform: slimPod, onChange: enqueueOwner },
  );

  // A namespace-wide object concerns every instance of its namespace (one of them restores it when it changes).
  const enqueueNamespace = (object: KubernetesObject) => {
    for (const key of byCustomerNamespace.keys(object.metadata?.namespace ?? '')) enqueue(key);
  };
  // A namespace whose labels change (handed to another organisation, Pod Security removed) concerns its instances.
  const customerNamespaces = cache<V1Namespace>('namespaces', '/api/v1/namespaces', managed, (query) => core.listNamespace(query), {
    onChange: (object) => enqueueNamespace({ metadata: { namespace: object.metadata?.name } }),
  });
  const resourceQuotas = cache<V1ResourceQuota>(
    'resourcequotas',
    '/api/v1/resourcequotas',
    managed,
    (query) => core.listResourceQuotaForAllNamespaces(query),
    { onChange: enqueueNamespace },
  );
  const limitRanges = cache<V1LimitRange>(
    'limitranges',
    '/api/v1/limitranges',
    managed,
    (query) => core.listLimitRangeForAllNamespaces(query),
    { onChange: enqueueNamespace },
  );
  const networkPolicies = cache<V1NetworkPolicy>(
    'networkpolicies',
    '/apis/networking.k8s.io/v1/networkpolicies',
    managed,
    (query) => networking.listNetworkPolicyForAllNamespaces(query),
    { onChange: enqueueNamespace },
  );

  const credentialsSelector = labelSelector({ [bdkLabels.secretPurpose]: secretPurposes.credentials });
    // A rotated credential rolls the pods of the instance the Secret belongs to.
  const credentialSecrets = cache<V1Secret>(
    'credential-secrets',
    '/api/v1/secrets',
    credentialsSelector,
    (query) => core.listSecretForAllNamespaces(query),
    { transform: digestSecret, onChange: enqueueOwner },
  );

  const signing = labelSelector({ [bdkLabels.secretPurpose]: secretPurposes.webhookSigning });
  // No onChange: the reconcile does not read signing Secrets; the router's calls read the cache as it is then.
  const signingSecrets = cache<V1Secret>('webhook-signing-secrets', '/api/v1/secrets', signing, (query) => core.listSecretForAllNamespaces(query));

  const all = [
    books,
    deployments,
    services,
    configMaps,
    externalBooks,
    autoscalers,
    replicaSets,
    pods,
    customerNamespaces,
    resourceQuotas,
    limitRanges,
    networkPolicies,
    credentialSecrets,
    signingSecrets,
    instances,
  ];
  return {
    instances,
    books,
    deployments,
    services,
    configMaps,
    externalBooks,
    autoscalers,
    replicaSets,
    pods,
    namespaces: customerNamespaces,
    resourceQuotas,
    limitRanges,
    networkPolicies,
    credentialSecrets,
    signingSecrets,
    async start() {
      await Promise.all(all.map((informer) => informer.start()));
    },
    async synced() {
      await Promise.all(all.map((informer) => informer.synced()));
    },
    get isSynced() {
      return all.every((informer) => informer.isSynced);
    },
    async stop() {
      await Promise.all(all.map((informer) => informer.stop()));
    },
  };
}
