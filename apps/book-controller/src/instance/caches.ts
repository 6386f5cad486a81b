// The controller's list+watch caches: BookInstanceDefinitions and BookDefinitions in BDK's namespace, the
// children BDK manages in customer namespaces (selected by app.kubernetes.io/managed-by=bdk), and the instances'
// webhook signing Secrets (selected by their purpose), which ListWebhookSubscribers answers from. Every change of
// a child is mapped to the key of the instance it concerns and handed to `enqueue`.
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
  RestartingInformer,
  type BookDefinition,
  type BookInstanceDefinition,
  type ExternalBookDefinition,
} from '@bdk/k8s';
import type { Logger } from '@bdk/service-runtime';
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type V1ConfigMap,
  type V1Deployment,
  type V1Secret,
  type V1Service,
} from '@kubernetes/client-node';

export interface ControllerCaches {
  readonly instances: RestartingInformer<BookInstanceDefinition>;
  readonly books: RestartingInformer<BookDefinition>;
  readonly deployments: RestartingInformer<V1Deployment>;
  readonly services: RestartingInformer<V1Service>;
  readonly configMaps: RestartingInformer<V1ConfigMap>;
  readonly externalBooks: RestartingInformer<ExternalBookDefinition>;
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
}): ControllerCaches {
  const { kubeConfig, namespace, logger, enqueue } = options;
  const custom = kubeConfig.makeApiClient(CustomObjectsApi);
  const resources = bdkResources(kubeConfig);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const apps = kubeConfig.makeApiClient(AppsV1Api);
  const managed = labelSelector({ [bdkLabels.managedBy]: managedByBdk });
  const enqueueOwner = (child: KubernetesObject) => {
    const key = ownerKeyOf(child);
    if (key) enqueue(key);
  };

  const instances = customResourceInformer({
    kubeConfig,
    client: resources.instances,
    namespace,
    logger,
    onChange: (instance) => enqueue(objectKey(instance.metadata.namespace ?? namespace, instance.metadata.name ?? '')),
  });
  const books = customResourceInformer({
    kubeConfig,
    client: resources.books,
    namespace,
    logger,
    // A book that appears, changes or goes away concerns every instance that references it.
    onChange: (book) => {
      for (const instance of instances.list(namespace)) {
        if (instance.spec.bookRef.name === book.metadata.name) enqueue(objectKey(namespace, instance.metadata.name ?? ''));
      }
    },
  });
  const deployments = new RestartingInformer<V1Deployment>({
    name: 'deployments',
    kubeConfig,
    logger,
    path: '/apis/apps/v1/deployments',
    labelSelector: managed,
    list: () => apps.listDeploymentForAllNamespaces({ labelSelector: managed }),
    onChange: enqueueOwner,
  });
  const services = new RestartingInformer<V1Service>({
    name: 'services',
    kubeConfig,
    logger,
    path: '/api/v1/services',
    labelSelector: managed,
    list: () => core.listServiceForAllNamespaces({ labelSelector: managed }),
    onChange: enqueueOwner,
  });
  const configMaps = new RestartingInformer<V1ConfigMap>({
    name: 'configmaps',
    kubeConfig,
    logger,
    path: '/api/v1/configmaps',
    labelSelector: managed,
    list: () => core.listConfigMapForAllNamespaces({ labelSelector: managed }),
    onChange: enqueueOwner,
  });
  const externalBooks = new RestartingInformer<ExternalBookDefinition>({
    name: 'externalbookdefinitions',
    kubeConfig,
    logger,
    path: resourcePath(externalBookDefinitionResource),
    labelSelector: managed,
    list: async () =>
      (await custom.listClusterCustomObject({
        group: externalBookDefinitionResource.group,
        version: externalBookDefinitionResource.version,
        plural: externalBookDefinitionResource.plural,
        labelSelector: managed,
      })) as KubernetesListObject<ExternalBookDefinition>,
    onChange: enqueueOwner,
  });

  const signing = labelSelector({ [bdkLabels.secretPurpose]: secretPurposes.webhookSigning });
  // No onChange: the reconcile does not read signing Secrets; the router's calls read the cache as it is then.
  const signingSecrets = new RestartingInformer<V1Secret>({
    name: 'webhook-signing-secrets',
    kubeConfig,
    logger,
    path: '/api/v1/secrets',
    labelSelector: signing,
    list: () => core.listSecretForAllNamespaces({ labelSelector: signing }),
  });

  const all = [books, deployments, services, configMaps, externalBooks, signingSecrets, instances];
  return {
    instances,
    books,
    deployments,
    services,
    configMaps,
    externalBooks,
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
