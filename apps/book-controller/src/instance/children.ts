// Writing an instance's children in its customer namespace: server-side apply when (and only when) the desired
// object differs from the cached one, and explicit deletion by the instance-id label on cleanup (owner references
// cannot cross namespaces, so no garbage collector would ever do it).
import { bdkLabels, externalBookDefinitionResource, isNotFound, labelSelector, type ExternalBookDefinition } from '@bdk/k8s';
import {
  AppsV1Api,
  AutoscalingV2Api,
  CoreV1Api,
  CustomObjectsApi,
  NetworkingV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesObject,
  type V1ConfigMap,
  type V1Deployment,
  type V1PodTemplateSpec,
  type V1Service,
  type V2HorizontalPodAutoscaler,
} from '@kubernetes/client-node';
import { containsDesired } from '@bdk/controller-runtime';
import { appliedHashAnnotation } from './applied-hash.js';
import type { NamespacePolicyObject } from './namespace-policy.js';
import { shareConnections } from './shared-connections.js';

/** The field manager of everything the controller applies. */
export const fieldManager = 'book-controller';

const applyOptions = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);

/**
 * Whether `observed` already is what `desired` asks for: it carries the hash of the same desired object (so
 * nothing the controller sets changed, removals included) and every desired field still has its value (so
 * nobody else changed them).
 */
export function upToDate(observed: KubernetesObject | undefined, desired: KubernetesObject): boolean {
  if (!observed) return false;
  const hash = (object: KubernetesObject) => object.metadata?.annotations?.[appliedHashAnnotation];
  // apiVersion and kind are not compared: items of a typed list come without them.
  const { apiVersion: _apiVersion, kind: _kind, ...fields } = desired;
  return hash(observed) !== undefined && hash(observed) === hash(desired) && containsDesired(wireForm(observed), fields);
}

/**
 * An object with the API's own field names. client-node's typed lists rename the few that are reserved words in
 * JavaScript (`from` is `_from`, `default` is `_default`), while watch events and what BDK sends use the API's
 * names; no field of the Kubernetes API itself starts with an underscore.
 */
export function wireForm(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(wireForm);
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  return Object.fromEntries(Object.entries(value).map(([key, field]) => [key.startsWith('_') ? key.slice(1) : key, wireForm(field)]));
}

export interface ChildWriter {
  applyConfigMap(desired: V1ConfigMap): Promise<V1ConfigMap>;
  applyService(desired: V1Service): Promise<V1Service>;
  applyDeployment(desired: V1Deployment): Promise<V1Deployment>;
  applyExternalBook(desired: ExternalBookDefinition): Promise<ExternalBookDefinition>;
  applyAutoscaler(desired: V2HorizontalPodAutoscaler): Promise<unknown>;
  /** Deletes the instance's autoscaler when it no longer asks for one; a missing one is fine. */
  deleteAutoscaler(namespace: string, name: string): Promise<void>;
  /** A namespace-wide object: ResourceQuota, LimitRange or NetworkPolicy. */
  applyNamespacePolicy(desired: NamespacePolicyObject): Promise<unknown>;
  /** Sets the Deployment's replica count (a suspension), keeping the rest of what the controller applied. */
  scale(deployment: V1Deployment, replicas: number): Promise<V1Deployment>;
  /** Puts `template` back into the Deployment (a rollback), as a JSON patch conditional on its resourceVersion. */
  replaceTemplate(deployment: V1Deployment, template: V1PodTemplateSpec): Promise<V1Deployment>;
  /**
   * Deletes every child of the instance in `namespace` (or, with `selector`, every object it selects there: a
   * shared workload); returns what it deleted, as `Kind/name`.
   */
  deleteAll(namespace: string, instanceId: string | undefined, selector?: Record<string, string>): Promise<string[]>;
}

export function createChildWriter(kubeConfig: KubeConfig): ChildWriter {
  const kube = shareConnections(kubeConfig);
  const core = kube.makeApiClient(CoreV1Api);
  const apps = kube.makeApiClient(AppsV1Api);
  const custom = kube.makeApiClient(CustomObjectsApi);
  const autoscaling = kube.makeApiClient(AutoscalingV2Api);
  const networking = kube.makeApiClient(NetworkingV1Api);
  const ebd = { group: externalBookDefinitionResource.group, version: externalBookDefinitionResource.version, plural: externalBookDefinitionResource.plural };
  const target = (object: KubernetesObject) => ({
    name: object.metadata?.name ?? '',
    namespace: object.metadata?.namespace ?? '',
    fieldManager,
    force: true,
  });

  // Each kind: list the instance's objects by label and delete them one by one (Services have no
  // deletecollection on every apiserver version, and a name list makes the cleanup log precise).
  const deleters: { kind: string; list: (namespace: string, selector: string) => Promise<string[]>; remove: (namespace: string, name: string) => Promise<unknown> }[] = [
    {
      kind: 'Deployment',
      list: async (namespace, selector) => names((await apps.listNamespacedDeployment({ namespace, labelSelector: selector })).items),
      remove: (namespace, name) => apps.deleteNamespacedDeployment({ namespace, name, propagationPolicy: 'Background' }),
    },
    {
      kind: 'Service',
      list: async (namespace, selector) => names((await core.listNamespacedService({ namespace, labelSelector: selector })).items),
      remove: (namespace, name) => core.deleteNamespacedService({ namespace, name }),
    },
    {
      kind: 'ConfigMap',
      list: async (namespace, selector) => names((await core.listNamespacedConfigMap({ namespace, labelSelector: selector })).items),
      remove: (namespace, name) => core.deleteNamespacedConfigMap({ namespace, name }),
    },
    {
      kind: 'ExternalBookDefinition',
      list: async (namespace, selector) =>
        names(((await custom.listNamespacedCustomObject({ ...ebd, namespace, labelSelector: selector })) as { items: KubernetesObject[] }).items),
      remove: (namespace, name) => custom.deleteNamespacedCustomObject({ ...ebd, namespace, name }),
    },
    {
      kind: 'HorizontalPodAutoscaler',
      list: async (namespace, selector) => names((await autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace, labelSelector: selector })).items),
      remove: (namespace, name) => autoscaling.deleteNamespacedHorizontalPodAutoscaler({ namespace, name }),
    },
    {
      // Written by the library-service, but it belongs to the instance and must not outlive it.
      kind: 'Secret',
      list: async (namespace, selector) => names((await core.listNamespacedSecret({ namespace, labelSelector: selector })).items),
      remove: (namespace, name) => core.deleteNamespacedSecret({ namespace, name }),
    },
  ];

  return {
    applyConfigMap: (desired) => core.patchNamespacedConfigMap({ ...target(desired), body: desired }, applyOptions),
    applyService: (desired) => core.patchNamespacedService({ ...target(desired), body: desired }, applyOptions),
    applyDeployment: (desired) => apps.patchNamespacedDeployment({ ...target(desired), body: desired }, applyOptions),
    applyExternalBook: async (desired) =>
      (await custom.patchNamespacedCustomObject({ ...ebd, ...target(desired), body: desired }, applyOptions)) as ExternalBookDefinition,
    applyAutoscaler: (desired) => autoscaling.patchNamespacedHorizontalPodAutoscaler({ ...target(desired), body: desired }, applyOptions),
    async deleteAutoscaler(namespace, name) {
      try {
        await autoscaling.deleteNamespacedHorizontalPodAutoscaler({ namespace, name });
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    },
    applyNamespacePolicy(desired) {
      const request = { ...target(desired), body: desired };
      switch (desired.kind) {
        case 'ResourceQuota':
          return core.patchNamespacedResourceQuota(request, applyOptions);
        case 'LimitRange':
          return core.patchNamespacedLimitRange(request, applyOptions);
        case 'NetworkPolicy':
          return networking.patchNamespacedNetworkPolicy(request, applyOptions);
        default:
          throw new Error(`not a namespace policy kind: ${desired.kind}`);
      }
    },
    scale: (deployment, replicas) =>
      apps.patchNamespacedDeployment(
        { name: deployment.metadata?.name ?? '', namespace: deployment.metadata?.namespace ?? '', fieldManager, body: { spec: { replicas } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    replaceTemplate: (deployment, template) =>
      apps.patchNamespacedDeployment(
        {
          name: deployment.metadata?.name ?? '',
          namespace: deployment.metadata?.namespace ?? '',
          fieldManager,
          body: [
            { op: 'test', path: '/metadata/resourceVersion', value: deployment.metadata?.resourceVersion },
            { op: 'replace', path: '/spec/template', value: wireForm(template) },
          ],
        },
        setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
      ),
    async deleteAll(namespace, instanceId, labels) {
      const selector = labelSelector(labels ?? { [bdkLabels.instanceId]: instanceId ?? '' });
      const deleted: string[] = [];
      for (const { kind, list, remove } of deleters) {
        for (const name of await list(namespace, selector)) {
          try {
            await remove(namespace, name);
            deleted.push(`${kind}/${name}`);
          } catch (error) {
            if (!isNotFound(error)) throw error;
          }
        }
      }
      return deleted;
    },
  };
}

function names(items: KubernetesObject[]): string[] {
  return items.map((item) => item.metadata?.name ?? '').filter(Boolean);
}
