// Between the API's instance messages (bdk.v1.BookInstance, CreateBookInstanceRequest) and the
// BookInstanceDefinition custom resource. Credentials cross this boundary as references only: the CR and every
// read answer carry the Secret name and key, never a value.
import { create, type JsonObject } from '@bufbuild/protobuf';
import { BookInstanceSchema, type BookInstance, type CreateBookInstanceRequest, type CredentialInput } from '@bdk/proto';
import {
  bdkLabels,
  credentialSecretKey,
  type BookDefinition,
  type BookInstanceDefinition,
  type BookInstanceDefinitionSpec,
  type BookInstanceDefinitionStatus,
} from '@bdk/k8s';
import { timestampFromKube } from '../books/book-mapping.js';

type CrDeployment = NonNullable<BookInstanceDefinitionSpec['deployment']>;
type CrCredential = NonNullable<BookInstanceDefinitionSpec['credentials']>[number];
type CrConfiguration = NonNullable<BookInstanceDefinitionSpec['configuration']>;

export type CredentialSource = NonNullable<CrCredential['source']>;

/** A credential's source with the API's default applied: external, the value given in the request. */
export function credentialSource(credential: { source?: string }): CredentialSource {
  return (credential.source || 'external') as CredentialSource;
}

function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== '')) as T;
}

function deploymentToCr(request: CreateBookInstanceRequest): CrDeployment | undefined {
  const deployment = request.deployment;
  if (!deployment) return undefined;
  const resources = deployment.resources && defined({ cpu: deployment.resources.cpu, memory: deployment.resources.memory });
  return defined({
    type: (deployment.type || 'primary') as CrDeployment['type'],
    // proto3 cannot tell 0 from unset; the contract says 0 means the default, which the CRD applies (1).
    replicas: deployment.replicas === 0 ? undefined : deployment.replicas,
    resources: resources && Object.keys(resources).length > 0 ? resources : undefined,
    autoscaling: deployment.autoscaling && {
      // proto3's 0 is "unset": the CRD's defaults (1 and 80) apply.
      ...(deployment.autoscaling.minReplicas > 0 ? { min_replicas: deployment.autoscaling.minReplicas } : {}),
      max_replicas: deployment.autoscaling.maxReplicas,
      ...(deployment.autoscaling.targetCpuUtilization > 0 ? { target_cpu_utilization: deployment.autoscaling.targetCpuUtilization } : {}),
      ...(deployment.autoscaling.targetWebhookBacklog > 0 ? { target_webhook_backlog: deployment.autoscaling.targetWebhookBacklog } : {}),
    },
  });
}

function credentialToCr(credential: CredentialInput, secretName: string): CrCredential {
  return {
    name: credential.name,
    type: (credential.type || 'secret') as CrCredential['type'],
    source: credentialSource(credential),
    secretRef: { name: secretName, key: credentialSecretKey(credential.name) },
  };
}

function configurationToCr(request: CreateBookInstanceRequest): CrConfiguration | undefined {
  const configuration = request.configuration;
  if (!configuration) return undefined;
  const settings = configuration.customSettings;
  return defined({
    environment: configuration.environment,
    log_level: (configuration.logLevel || undefined) as CrConfiguration['log_level'],
    custom_settings: settings && Object.keys(settings).length > 0 ? settings : undefined,
  });
}

/**
 * The BookInstanceDefinition spec for a validated request: bookRef names the BookDefinition object, and each
 * credential points at its key in the instance's credentials Secret (`secretName`).
 */
export function instanceSpecFromRequest(request: CreateBookInstanceRequest, book: BookDefinition, secretName: string): BookInstanceDefinitionSpec {
  const tailscale = request.networking?.tailscale;
  return defined({
    bookRef: { name: book.metadata.name ?? '', version: book.spec.version },
    customer: { namespace: request.customerNamespace, organization_id: request.organizationId },
    deployment: deploymentToCr(request),
    networking: tailscale && { tailscale: tailscale.enabled ? { enabled: true, tailnet: tailscale.tailnet } : { enabled: false } },
    credentials: request.credentials.length > 0 ? request.credentials.map((credential) => credentialToCr(credential, secretName)) : undefined,
    configuration: configurationToCr(request),
  });
}

function statusFromCr(status: BookInstanceDefinitionStatus | undefined) {
  return {
    // A CR the controller has not reconciled yet has no status: it is Pending, as CreateBookInstance answered.
    phase: status?.phase ?? 'Pending',
    deploymentStatus: status?.deployment_status && {
      readyReplicas: status.deployment_status.ready_replicas ?? 0,
      totalReplicas: status.deployment_status.total_replicas ?? 0,
    },
    conditions: (status?.conditions ?? []).map((condition) => ({
      type: condition.type,
      status: condition.status,
      lastTransition: timestampFromKube(condition.last_transition),
      reason: condition.reason ?? '',
      message: condition.message ?? '',
      observedGeneration: BigInt(condition.observedGeneration ?? 0),
    })),
    lastUpdated: timestampFromKube(status?.last_updated),
    rollback: status?.rollback && {
      failedSpecHash: status.rollback.failed_spec_hash ?? '',
      revision: status.rollback.revision ?? '',
      reason: status.rollback.reason ?? '',
      at: timestampFromKube(status.rollback.at),
    },
    resolvedVersion: status?.resolved_version ?? '',
    resolvedBook: status?.resolved_book ?? '',
  };
}

/**
 * The API's view of a stored BookInstanceDefinition. Its ids and the book's name (the CR's bookRef holds the
 * BookDefinition's object name) come from the labels CreateBookInstance set.
 */
export function instanceFromDefinition(definition: BookInstanceDefinition): BookInstance {
  const { spec, metadata } = definition;
  const deployment = spec.deployment;
  const tailscale = spec.networking?.tailscale;
  const configuration = spec.configuration;
  return create(BookInstanceSchema, {
    instanceId: metadata.labels?.[bdkLabels.instanceId] ?? '',
    bookId: metadata.labels?.[bdkLabels.bookId] ?? '',
    bookRef: { name: metadata.labels?.[bdkLabels.bookName] ?? spec.bookRef.name, version: spec.bookRef.version },
    customerNamespace: spec.customer.namespace,
    organizationId: spec.customer.organization_id,
    deployment: deployment && {
      type: deployment.type ?? 'primary',
      replicas: deployment.replicas ?? 1,
      resources: deployment.resources && { cpu: deployment.resources.cpu ?? '', memory: deployment.resources.memory ?? '' },
      autoscaling: deployment.autoscaling && {
        minReplicas: deployment.autoscaling.min_replicas ?? 1,
        maxReplicas: deployment.autoscaling.max_replicas,
        targetCpuUtilization: deployment.autoscaling.target_cpu_utilization ?? 80,
        targetWebhookBacklog: deployment.autoscaling.target_webhook_backlog ?? 0,
      },
    },
    networking: spec.networking && { tailscale: tailscale && { enabled: tailscale.enabled ?? false, tailnet: tailscale.tailnet ?? '' } },
    credentials: (spec.credentials ?? []).map((credential) => ({
      name: credential.name,
      type: credential.type ?? 'secret',
      source: credential.source ?? 'external',
      secretRef: credential.secretRef && { name: credential.secretRef.name ?? '', key: credential.secretRef.key ?? '' },
    })),
    configuration: configuration && {
      environment: configuration.environment ?? '',
      logLevel: configuration.log_level ?? '',
      // Free-form JSON in the CR (x-kubernetes-preserve-unknown-fields), a Struct in the API.
      customSettings: configuration.custom_settings as JsonObject | undefined,
    },
    status: statusFromCr(definition.status),
    createdAt: timestampFromKube(metadata.creationTimestamp),
    suspended: spec.suspended ?? false,
    etag: instanceEtag(definition),
  });
}

/**
 * The instance's etag: its uid and generation, which moves with every change of the spec (an update, a suspension)
 * and not with the controller's status writes, so a client's read-modify-write is refused only when the instance
 * itself changed.
 */
export function instanceEtag(definition: BookInstanceDefinition): string {
  return `W/"${(definition.metadata.uid ?? '').slice(0, 8)}-${definition.metadata.generation ?? 0}"`;
}
