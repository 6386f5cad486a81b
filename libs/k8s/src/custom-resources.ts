import { ApiException, CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import {
  bookDefinitionResource,
  bookInstanceDefinitionResource,
  externalBookDefinitionResource,
  type BookDefinition,
  type BookInstanceDefinition,
  type ExternalBookDefinition,
} from './gen/crds.js';

/** The identity of a custom resource type, as the generated `*Resource` constants describe it. */
export interface ResourceType {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly kind: string;
  readonly apiVersion: string;
}

export interface CustomResource {
  metadata: { name?: string; namespace?: string; resourceVersion?: string };
  status?: unknown;
}

interface ResourceList<T> {
  items: T[];
  metadata: { continue?: string; resourceVersion?: string };
}

/** The REST path of a resource type's collection: in one namespace, or across all of them. For watches. */
export function resourcePath(type: ResourceType, namespace?: string): string {
  const scope = namespace === undefined ? '' : `/namespaces/${namespace}`;
  return `/apis/${type.group}/${type.version}${scope}/${type.plural}`;
}

/** Typed namespaced CRUD for one custom resource type, over client-node's CustomObjectsApi. */
export interface CustomResourceClient<T extends CustomResource> {
  readonly type: ResourceType;
  get(namespace: string, name: string): Promise<T>;
  /** undefined when the object does not exist. */
  find(namespace: string, name: string): Promise<T | undefined>;
  list(namespace: string, options?: { labelSelector?: string; limit?: number; continue?: string }): Promise<ResourceList<T>>;
  create(namespace: string, body: T): Promise<T>;
  /** Replaces the object (not its status); a conflict (409) when its resourceVersion is not the stored one. */
  replace(namespace: string, name: string, body: T): Promise<T>;
  /**
   * A JSON merge patch of the object (not its status). `fieldManager` names the writer in metadata.managedFields
   * (server-side apply's record of who owns which field); a `metadata.resourceVersion` in the patch makes it
   * conditional (409 when the object changed).
   */
  mergePatch(namespace: string, name: string, patch: object, options?: { fieldManager?: string }): Promise<T>;
  /** A JSON merge patch of the status subresource. */
  mergePatchStatus(namespace: string, name: string, status: NonNullable<T['status']>): Promise<T>;
  /** Resolves when the delete was accepted or the object was already gone. */
  delete(namespace: string, name: string): Promise<void>;
}

export function customResourceClient<T extends CustomResource>(kubeConfig: KubeConfig, type: ResourceType): CustomResourceClient<T> {
  const api = kubeConfig.makeApiClient(CustomObjectsApi);
  const base = { group: type.group, version: type.version, plural: type.plural };
  const mergePatchOptions = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  const client: CustomResourceClient<T> = {
    type,
    async get(namespace, name) {
      return (await api.getNamespacedCustomObject({ ...base, namespace, name })) as T;
    },
    async find(namespace, name) {
      try {
        return await client.get(namespace, name);
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    async list(namespace, options = {}) {
      return (await api.listNamespacedCustomObject({
        ...base,
        namespace,
        labelSelector: options.labelSelector,
        limit: options.limit,
        _continue: options.continue,
      })) as ResourceList<T>;
    },
    async create(namespace, body) {
      return (await api.createNamespacedCustomObject({ ...base, namespace, body })) as T;
    },
    async replace(namespace, name, body) {
      return (await api.replaceNamespacedCustomObject({ ...base, namespace, name, body })) as T;
    },
    async mergePatch(namespace, name, patch, options = {}) {
      return (await api.patchNamespacedCustomObject({ ...base, namespace, name, body: patch, fieldManager: options.fieldManager }, mergePatchOptions)) as T;
    },
    async mergePatchStatus(namespace, name, status) {
      return (await api.patchNamespacedCustomObjectStatus({ ...base, namespace, name, body: { status } }, mergePatchOptions)) as T;
    },
    async delete(namespace, name) {
      try {
        await api.deleteNamespacedCustomObject({ ...base, namespace, name });
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    },
  };
  return client;
}

/** Clients for BDK's three custom resources. */
export interface BdkResources {
  readonly books: CustomResourceClient<BookDefinition>;
  readonly instances: CustomResourceClient<BookInstanceDefinition>;
  readonly externalBooks: CustomResourceClient<ExternalBookDefinition>;
}

export function bdkResources(kubeConfig: KubeConfig): BdkResources {
  return {
    books: customResourceClient<BookDefinition>(kubeConfig, bookDefinitionResource),
    instances: customResourceClient<BookInstanceDefinition>(kubeConfig, bookInstanceDefinitionResource),
    externalBooks: customResourceClient<ExternalBookDefinition>(kubeConfig, externalBookDefinitionResource),
  };
}

/** The HTTP status of a failed Kubernetes API call, or undefined when the error did not come from the apiserver. */
export function kubeStatusCode(error: unknown): number | undefined {
  return error instanceof ApiException ? error.code : undefined;
}

export const isNotFound = (error: unknown): boolean => kubeStatusCode(error) === 404;
/** 409: AlreadyExists on create, Conflict on a stale resourceVersion. */
export const isConflict = (error: unknown): boolean => kubeStatusCode(error) === 409;
