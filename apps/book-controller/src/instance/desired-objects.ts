// What a BookInstanceDefinition should look like in its customer namespace: pure builders of the ConfigMap,
// Service, Deployment and ExternalBookDefinition, with the labels and annotation every BDK app selects by.
import {
  bdkAnnotations,
  bdkLabels,
  bookWorkloadName,
  credentialEnvName,
  credentialSecretKey,
  credentialsSecretName,
  externalBookDefinitionResource,
  instanceObjectMetadata,
  instanceRef,
  type BookDefinition,
  type BookInstanceDefinition,
  type ExternalBookDefinition,
} from '@bdk/k8s';
import type { V1ConfigMap, V1Container, V1Deployment, V1EnvVar, V1SecurityContext, V1Service, V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import { bookImage, bookUrl, type ControllerConfig } from '../config.js';
import { contentHash } from '@bdk/controller-runtime';
import { withAppliedHash } from './applied-hash.js';
import { tailscaleLabel } from './namespace-policy.js';
import { deploymentTypeLabel, deploymentTypeOf, sharedWorkloadLabel, sharedWorkloadSelector, type DeploymentType } from './placement.js';

/** On the pod template: a changed book descriptor rolls the pods, which read it once at start-up. */
export const descriptorHashAnnotation = 'bdk.voyager.io/descriptor-hash';
/**
 * On the pod template: a digest of the credential values the pods read (never the values), so a rotated credential
 * rolls the pods, which read their environment once at start-up.
 */
export const credentialsHashAnnotation = 'bdk.voyager.io/credentials-hash';
/** The uid and gid book containers run as: any non-root id satisfies Pod Security `restricted`; this one is nobody's. */
export const bookUserId = 65532;
/** Where the book container finds its descriptor (book.json) and settings (settings.json). */
export const descriptorMountPath = '/etc/bdk/book';
/** Pinned: a sidecar that changes under a running book is an outage nobody asked for. */
export const tailscaleImage = 'ghcr.io/tailscale/tailscale:v1.88.2';
/** Key of the optional Tailscale auth key in the instance's credentials Secret (a credential of that name). */
export const tailscaleAuthKeyCredential = 'tailscale_authkey';

/** Who an instance is, as every child records it. */
export interface InstanceIdentity {
  /** The API's instance id (label), or the object's uid for an instance created without the API. */
  instanceId: string;
  bookId: string;
  /** The BookDefinition's spec.name. */
  bookName: string;
  customerNamespace: string;
  /** Name of the Deployment, Service, ConfigMap and ExternalBookDefinition. */
  workloadName: string;
  /** `<bdk namespace>/<instance name>`, the annotation that maps a child back to its instance. */
  instanceRef: string;
  deploymentType: DeploymentType;
}

export function instanceIdOf(instance: BookInstanceDefinition): string {
  return instance.metadata.labels?.[bdkLabels.instanceId] ?? instance.metadata.uid ?? '';
}

/** The owning organisation: the label the API sets (and selects by), else the spec of a CR applied by hand. */
export function organizationIdOf(instance: BookInstanceDefinition): string {
  return instance.metadata.labels?.[bdkLabels.organizationId] ?? instance.spec.customer.organization_id;
}

export function identify(instance: BookInstanceDefinition, book: BookDefinition): InstanceIdentity {
  const instanceId = instanceIdOf(instance);
  return {
    instanceId,
    bookId: instance.metadata.labels?.[bdkLabels.bookId] ?? book.metadata.labels?.[bdkLabels.bookId] ?? book.metadata.uid ?? '',
    bookName: book.spec.name,
    customerNamespace: instance.spec.customer.namespace,
    workloadName: bookWorkloadName(book.spec.name, instanceId),
    instanceRef: instanceRef(instance.metadata.namespace ?? '', instance.metadata.name ?? ''),
    deploymentType: deploymentTypeOf(instance),
  };
}

/** Labels on every child; the selector of the Deployment and Service is the instance-id label alone. */
export function childLabels(id: InstanceIdentity): Record<string, string> {
  return {
    ...instanceObjectMetadata(id).labels,
    [bdkLabels.bookName]: id.bookName,
    [bdkLabels.name]: id.bookName,
    [bdkLabels.instance]: id.workloadName,
    [deploymentTypeLabel]: id.deploymentType,
  };
}

function selectorLabels(id: InstanceIdentity): Record<string, string> {
  return { [bdkLabels.instanceId]: id.instanceId };
}

function childMetadata(id: InstanceIdentity) {
  return {
    name: id.workloadName,
    namespace: id.customerNamespace,
    labels: childLabels(id),
    annotations: instanceObjectMetadata(id).annotations,
  };
}

/** The book's descriptor as the book and its customers see it. */
export function bookDescriptor(book: BookDefinition) {
  const { name, version, description, schema, capabilities, runtime, integrations, prompts } = book.spec;
  return { name, version, description, schema, capabilities, runtime, integrations, prompts };
}

export function desiredConfigMap(id: InstanceIdentity, instance: BookInstanceDefinition, book: BookDefinition): V1ConfigMap {
  return withAppliedHash({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: childMetadata(id),
    data: {
      'book.json': JSON.stringify(bookDescriptor(book), null, 2) + '\n',
      'settings.json': JSON.stringify(instance.spec.configuration?.custom_settings ?? {}, null, 2) + '\n',
    },
  });
}

export function desiredService(id: InstanceIdentity, config: ControllerConfig): V1Service {
  return withAppliedHash({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: childMetadata(id),
    spec: {
      type: 'ClusterIP',
      selector: selectorLabels(id),
      ports: [{ name: 'http', protocol: 'TCP', port: config.bookPort, targetPort: 'http' }],
    },
  });
}

/** Each credential as an environment variable read from its Secret (values never pass through the controller). */
function credentialEnv(id: InstanceIdentity, instance: BookInstanceDefinition): V1EnvVar[] {
  return (instance.spec.credentials ?? []).map((credential) => ({
    name: credentialEnvName(credential.name),
    valueFrom: {
      secretKeyRef: {
        name: credential.secretRef?.name ?? credentialsSecretName(id.bookName, id.instanceId),
        key: credential.secretRef?.key ?? credentialSecretKey(credential.name),
      },
    },
  }));
}

/**
 * Pod Security `restricted`, and a read-only root filesystem: a book writes only to /tmp (an emptyDir), so a
 * compromised book cannot change its own code.
 */
const restrictedContainer: V1SecurityContext = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
};

/** The book container: the book's image, its identity and settings as environment, and its descriptor as files. */
function bookContainer(book: BookDefinition, config: ControllerConfig, env: V1EnvVar[], resources: { cpu?: string; memory?: string } = {}): V1Container {
  const requests: Record<string, string> = {};
  if (resources.cpu) requests['cpu'] = resources.cpu;
  if (resources.memory) requests['memory'] = resources.memory;
  return {
    name: 'book',
    image: bookImage(config, book.spec.name, book.spec.version),
    ports: [{ name: 'http', containerPort: config.bookPort, protocol: 'TCP' }],
    env: [
      { name: 'BDK_BOOK_NAME', value: book.spec.name },
      { name: 'BDK_BOOK_VERSION', value: book.spec.version },
      { name: 'BDK_BOOK_PORT', value: String(config.bookPort) },
      { name: 'BDK_BOOK_DESCRIPTOR', value: `${descriptorMountPath}/book.json` },
      ...env,
    ],
    // The limit of what is requested is the request: the namespace's LimitRange default limit is smaller than many
    // requests, and a request above its limit is refused.
    resources: Object.keys(requests).length > 0 ? { requests, limits: requests } : undefined,
    securityContext: restrictedContainer,
    volumeMounts: [
      { name: 'book-descriptor', mountPath: descriptorMountPath, readOnly: true },
      { name: 'tmp', mountPath: '/tmp' },
    ],
    // Ready once the book accepts connections, so the Service only sends triggers to books that listen.
    readinessProbe: { tcpSocket: { port: 'http' } },
  };
}

/** The env of a book that serves one instance: who it is, how it is configured, and its credentials. */
function instanceEnv(id: InstanceIdentity, instance: BookInstanceDefinition): V1EnvVar[] {
  const configuration = instance.spec.configuration ?? {};
  return [
    { name: 'BDK_INSTANCE_ID', value: id.instanceId },
    { name: 'BDK_BOOK_ID', value: id.bookId },
    { name: 'BDK_ENVIRONMENT', value: configuration.environment ?? 'production' },
    { name: 'BDK_LOG_LEVEL', value: configuration.log_level ?? 'info' },
    ...credentialEnv(id, instance),
  ];
}

/**
 * Joins the pod to the customer's tailnet in userspace mode (no NET_ADMIN needed). State lives in an emptyDir,
 * not a Kubernetes Secret, so the pod needs no API access; the auth key is the instance's optional
 * `tailscale_authkey` credential.
 */
function tailscaleContainer(id: InstanceIdentity): V1Container {
  return {
    name: 'tailscale',
    image: tailscaleImage,
    env: [
      { name: 'TS_USERSPACE', value: 'true' },
      { name: 'TS_HOSTNAME', value: `${id.workloadName}-${id.customerNamespace}`.slice(0, 63) },
      { name: 'TS_STATE_DIR', value: '/var/lib/tailscale' },
      { name: 'TS_KUBE_SECRET', value: '' },
      { name: 'TS_ACCEPT_DNS', value: 'false' },
      // The default socket path is under /var/run, which the read-only root filesystem does not allow.
      { name: 'TS_SOCKET', value: '/tmp/tailscaled.sock' },
      {
        name: 'TS_AUTHKEY',
        valueFrom: {
          secretKeyRef: {
            name: credentialsSecretName(id.bookName, id.instanceId),
            key: credentialSecretKey(tailscaleAuthKeyCredential),
            optional: true,
          },
        },
      },
    ],
    securityContext: restrictedContainer,
    volumeMounts: [
      { name: 'tailscale-state', mountPath: '/var/lib/tailscale' },
      { name: 'tmp', mountPath: '/tmp' },
    ],
  };
}

/** What the Deployment builder needs beyond the instance and its book. */
export interface DeploymentInputs {
  configMap: V1ConfigMap;
  /** credentialsDigest() of the Secrets the pods read; empty when the instance has no credentials. */
  credentialsDigest: string;
  /** How long a rollout may go without progress before the Deployment reports ProgressDeadlineExceeded. */
  progressDeadlineSeconds: number;
}

/** The parts every book Deployment shares, whoever it serves. */
interface WorkloadShape {
  metadata: { name: string; namespace: string; labels: Record<string, string>; annotations?: Record<string, string> };
  selector: Record<string, string>;
  podLabels: Record<string, string>;
  podAnnotations: Record<string, string>;
  /** undefined: the count is someone else's to set (an autoscaler's). */
  replicas: number | undefined;
  progressDeadlineSeconds: number;
  containers: V1Container[];
  extraVolumes: { name: string; emptyDir: object }[];
}

function bookDeployment(shape: WorkloadShape): V1Deployment {
  return withAppliedHash({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: shape.metadata,
    spec: {
      ...(shape.replicas === undefined ? {} : { replicas: shape.replicas }),
      selector: { matchLabels: shape.selector },
      progressDeadlineSeconds: shape.progressDeadlineSeconds,
      // The earlier templates a failed rollout can be rolled back to.
      revisionHistoryLimit: 5,
      template: {
        metadata: { labels: shape.podLabels, annotations: shape.podAnnotations },
        spec: {
          // No API access: a book reads its descriptor and credentials from files and environment.
          automountServiceAccountToken: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: bookUserId,
            runAsGroup: bookUserId,
            fsGroup: bookUserId,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: shape.containers,
          volumes: [{ name: 'book-descriptor', configMap: { name: shape.metadata.name } }, { name: 'tmp', emptyDir: {} }, ...shape.extraVolumes],
        },
      },
    },
  });
}

export function desiredDeployment(
  id: InstanceIdentity,
  instance: BookInstanceDefinition,
  book: BookDefinition,
  config: ControllerConfig,
  inputs: DeploymentInputs,
): V1Deployment {
  const tailscale = instance.spec.networking?.tailscale?.enabled === true;
  const podAnnotations: Record<string, string> = {
    [bdkAnnotations.instanceRef]: id.instanceRef,
    [descriptorHashAnnotation]: contentHash(inputs.configMap.data),
  };
  if (inputs.credentialsDigest) podAnnotations[credentialsHashAnnotation] = inputs.credentialsDigest;
  return bookDeployment({
    metadata: childMetadata(id),
    selector: selectorLabels(id),
    podLabels: { ...childLabels(id), ...(tailscale ? { [tailscaleLabel]: 'true' } : {}) },
    podAnnotations,
    // Autoscaled: the HorizontalPodAutoscaler owns the count, and a value applied here would fight it.
    replicas: instance.spec.deployment?.autoscaling !== undefined ? undefined : (instance.spec.deployment?.replicas ?? 1),
    progressDeadlineSeconds: inputs.progressDeadlineSeconds,
    containers: [bookContainer(book, config, instanceEnv(id, instance), instance.spec.deployment?.resources), ...(tailscale ? [tailscaleContainer(id)] : [])],
    extraVolumes: tailscale ? [{ name: 'tailscale-state', emptyDir: {} }] : [],
  });
}

/** One book version's shared workload: where it runs and what it is called. */
export interface SharedWorkload {
  name: string;
  namespace: string;
  bookName: string;
}

function sharedMetadata(shared: SharedWorkload): { name: string; namespace: string; labels: Record<string, string>; annotations: Record<string, string> } {
  return {
    name: shared.name,
    namespace: shared.namespace,
    labels: { ...sharedWorkloadSelector(shared.name), [bdkLabels.bookName]: shared.bookName, [bdkLabels.name]: shared.bookName, [bdkLabels.instance]: shared.name, [deploymentTypeLabel]: 'shared' },
    annotations: {},
  };
}

/** The shared workload's descriptor: the book's alone; each trigger carries its instance's settings. */
export function desiredSharedConfigMap(shared: SharedWorkload, book: BookDefinition): V1ConfigMap {
  return withAppliedHash({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: sharedMetadata(shared),
    data: { 'book.json': JSON.stringify(bookDescriptor(book), null, 2) + '\n', 'settings.json': '{}\n' },
  });
}

export function desiredSharedService(shared: SharedWorkload, config: ControllerConfig): V1Service {
  return withAppliedHash({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: sharedMetadata(shared),
    spec: { type: 'ClusterIP', selector: { [sharedWorkloadLabel]: shared.name }, ports: [{ name: 'http', protocol: 'TCP', port: config.bookPort, targetPort: 'http' }] },
  });
}

/**
 * The shared workload's Deployment: no instance's id, settings or credentials in it (a trigger brings its own);
 * as many replicas as the largest of the instances it serves asks for.
 */
export function desiredSharedDeployment(
  shared: SharedWorkload,
  book: BookDefinition,
  config: ControllerConfig,
  inputs: { configMap: V1ConfigMap; replicas: number; progressDeadlineSeconds: number },
): V1Deployment {
  const metadata = sharedMetadata(shared);
  return bookDeployment({
    metadata,
    selector: { [sharedWorkloadLabel]: shared.name },
    podLabels: metadata.labels,
    podAnnotations: { [descriptorHashAnnotation]: contentHash(inputs.configMap.data) },
    replicas: inputs.replicas,
    progressDeadlineSeconds: inputs.progressDeadlineSeconds,
    containers: [bookContainer(book, config, [{ name: 'BDK_SHARED', value: 'true' }])],
    extraVolumes: [],
  });
}

/** The webhook router's per-instance backlog gauge, as an external metrics adapter serves it to autoscalers. */
export const webhookBacklogMetric = 'bdk_webhook_queue_depth_by_instance';

/** The instance's autoscaler, or undefined when it asks for a fixed replica count. */
export function desiredAutoscaler(id: InstanceIdentity, instance: BookInstanceDefinition): V2HorizontalPodAutoscaler | undefined {
  const autoscaling = instance.spec.deployment?.autoscaling;
  if (!autoscaling) return undefined;
  return withAppliedHash({
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: childMetadata(id),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: id.workloadName },
      minReplicas: autoscaling.min_replicas ?? 1,
      maxReplicas: autoscaling.max_replicas,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: autoscaling.target_cpu_utilization ?? 80 } } },
        // The router's backlog for this instance, divided among the pods: several metrics, the largest count wins.
        ...(autoscaling.target_webhook_backlog
          ? [
              {
                type: 'External',
                external: {
                  metric: { name: webhookBacklogMetric, selector: { matchLabels: { instance_id: id.instanceId } } },
                  target: { type: 'AverageValue', averageValue: String(autoscaling.target_webhook_backlog) },
                },
              },
            ]
          : []),
      ],
    },
  });
}

export function desiredExternalBook(
  id: InstanceIdentity,
  instance: BookInstanceDefinition,
  book: BookDefinition,
  config: ControllerConfig,
  /** Where the book answers when not at its own Service in the customer namespace (a shared workload). */
  served: { service: string; namespace: string } = { service: id.workloadName, namespace: id.customerNamespace },
): ExternalBookDefinition {
  const { name, version, description, capabilities, schema, integrations } = book.spec;
  return withAppliedHash({
    apiVersion: externalBookDefinitionResource.apiVersion,
    kind: externalBookDefinitionResource.kind,
    metadata: childMetadata(id),
    spec: {
      bookRef: { name: book.metadata.name ?? instance.spec.bookRef.name, version: book.spec.version },
      instanceRef: { name: instance.metadata.name ?? '', namespace: instance.metadata.namespace ?? '' },
      descriptor: { name, version, description, capabilities, schema, integrations },
      endpoint: { url: bookUrl(config, served.service, served.namespace), service: served.service, port: config.bookPort },
    },
  });
}
