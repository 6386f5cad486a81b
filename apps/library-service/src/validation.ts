// Request validation at the edge. Every rule throws INVALID_ARGUMENT with a message that starts with the field's
// path as the REST client wrote it (`schema.inputs[1].name: ...`), so a client can fix its request without
// reading server logs, and with the same in the details a client can act on without parsing the message (AIP-193):
// google.rpc.BadRequest with the field violation and google.rpc.ErrorInfo with a reason to switch on. The rules
// mirror the CRD schemas (charts/bdk/crds), so a request that passes here is not refused by the apiserver later,
// after a Secret has been written.
import { Code, ConnectError } from '@connectrpc/connect';
import { signatureSchemes } from '@bdk/webhooks';
import {
  BadRequestSchema,
  ErrorInfoSchema,
  type CreateBookInstanceRequest,
  type CreateBookRequest,
  type CredentialInput,
  type ListBookInstancesRequest,
  type ListBooksRequest,
  type RotateInstanceCredentialsRequest,
  type RotateWebhookSecretRequest,
  type SchemaField,
} from '@bdk/proto';
import { payloadContractProblem } from './books/payload-contract.js';

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
// semver.org's regular expression (without the named groups), as in the BookDefinition CRD.
const semver =
  /^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const credentialName = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const quantity = /^(\+)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$/;

export const fieldTypes = ['string', 'number', 'integer', 'boolean', 'object', 'array'] as const;
export const integrationTypes = ['webhook', 'api'] as const;
export const deploymentTypes = ['primary', 'secondary', 'shared'] as const;
export const credentialTypes = ['secret', 'token', 'password', 'certificate'] as const;
export const credentialSources = ['external', 'generated', 'manual'] as const;
export const logLevels = ['debug', 'info', 'warn', 'error'] as const;

/** Page sizes of the List RPCs: 0 means this default; more than the maximum is refused. */
export const defaultPageSize = 50;
export const maxPageSize = 500;
const maxReplicas = 100;

/** ErrorInfo.domain of the library-service's errors. */
export const errorDomain = 'bdk.voyager.io';

/** ErrorInfo.reason of each kind of field error, one per gRPC code a field can be refused with. */
export const fieldErrorReasons = {
  [Code.InvalidArgument]: 'INVALID_FIELD',
  [Code.FailedPrecondition]: 'FIELD_PRECONDITION_FAILED',
} as const;

/**
 * An error about one field of the request: `<field>: <reason>` as the message, and in the details a
 * google.rpc.BadRequest field violation (the field as the REST client wrote it, the reason) and a google.rpc.ErrorInfo
 * (reason INVALID_FIELD or FIELD_PRECONDITION_FAILED, domain bdk.voyager.io, metadata.field).
 */
export function fieldError(code: keyof typeof fieldErrorReasons, field: string, reason: string): ConnectError {
  return new ConnectError(`${field}: ${reason}`, code, undefined, [
    { desc: BadRequestSchema, value: { fieldViolations: [{ field, description: reason }] } },
    { desc: ErrorInfoSchema, value: { reason: fieldErrorReasons[code], domain: errorDomain, metadata: { field } } },
  ]);
}

/** The error every rule throws: INVALID_ARGUMENT, `<field>: <reason>`, with the field in the details. */
export function invalidArgument(field: string, reason: string): ConnectError {
  return fieldError(Code.InvalidArgument, field, reason);
}

/** FAILED_PRECONDITION about a field (a book being deleted, a withdrawn version), with the field in the details. */
export function failedPrecondition(field: string, reason: string): ConnectError {
  return fieldError(Code.FailedPrecondition, field, reason);
}

function check(ok: boolean, field: string, reason: string): void {
  if (!ok) throw invalidArgument(field, reason);
}

function required(value: string, field: string): void {
  check(value !== '', field, 'is required');
}

function maxLength(value: string, limit: number, field: string): void {
  check(value.length <= limit, field, `must be at most ${limit} characters`);
}

function oneOf(value: string, allowed: readonly string[], field: string): void {
  check(allowed.includes(value), field, `must be one of ${allowed.join(', ')}, got "${value}"`);
}

function unique(names: string[], field: (index: number) => string): void {
  const seen = new Set<string>();
  names.forEach((name, index) => {
    check(!seen.has(name), field(index), `"${name}" is given twice; names must be unique`);
    seen.add(name);
  });
}

export function validateDnsLabel(value: string, field: string): void {
  required(value, field);
  check(value.length <= 63 && dnsLabel.test(value), field, 'must be a DNS label (lower case letters, digits and "-", at most 63 characters)');
}

/** book_id and instance_id are the UUIDs CreateBook and CreateBookInstance hand out. */
export function validateId(value: string, field: string): void {
  required(value, field);
  check(uuid.test(value), field, `must be a UUID as returned on creation, got "${value}"`);
}

export function validatePageSize(pageSize: number): number {
  check(pageSize >= 0 && pageSize <= maxPageSize, 'page_size', `must be between 0 and ${maxPageSize}`);
  return pageSize === 0 ? defaultPageSize : pageSize;
}

function validateSchemaFields(fields: SchemaField[], path: string): void {
  fields.forEach((field, index) => {
    const at = `${path}[${index}]`;
    required(field.name, `${at}.name`);
    maxLength(field.name, 128, `${at}.name`);
    if (field.type !== '') oneOf(field.type, fieldTypes, `${at}.type`);
    check(field.enum.length === 0 || field.type === '' || field.type === 'string', `${at}.enum`, 'is allowed for string fields only');
  });
  unique(
    fields.map((field) => field.name),
    (index) => `${path}[${index}].name`,
  );
}

export function validateCreateBook(request: CreateBookRequest): void {
  validateDnsLabel(request.name, 'name');
  required(request.version, 'version');
  check(request.version.length <= 64 && semver.test(request.version), 'version', `must be a semantic version such as 1.0.0, got "${request.version}"`);
  maxLength(request.description, 4096, 'description');
  validateSchemaFields(request.schema?.inputs ?? [], 'schema.inputs');
  validateSchemaFields(request.schema?.outputs ?? [], 'schema.outputs');
  request.capabilities.forEach((capability, index) => {
    required(capability, `capabilities[${index}]`);
    maxLength(capability, 128, `capabilities[${index}]`);
  });
  unique(request.capabilities, (index) => `capabilities[${index}]`);
  if (request.runtime) {
    required(request.runtime.language, 'runtime.language');
    maxLength(request.runtime.language, 63, 'runtime.language');
    maxLength(request.runtime.version, 64, 'runtime.version');
    request.runtime.requirements.forEach((requirement, index) => required(requirement, `runtime.requirements[${index}]`));
  }
  request.integrations.forEach((integration, index) => {
    const at = `integrations[${index}]`;
    required(integration.name, `${at}.name`);
    maxLength(integration.name, 63, `${at}.name`);
    required(integration.type, `${at}.type`);
    oneOf(integration.type, integrationTypes, `${at}.type`);
    const config = integration.config;
    if (config) {
      maxLength(config.endpoint, 2048, `${at}.config.endpoint`);
      check(config.endpoint === '' || config.endpoint.startsWith('/'), `${at}.config.endpoint`, 'must be a path starting with "/"');
      maxLength(config.source, 63, `${at}.config.source`);
      check(config.source === '' || integration.type === 'webhook', `${at}.config.source`, 'is allowed for webhook integrations only');
      if (config.scheme !== '') oneOf(config.scheme, signatureSchemes, `${at}.config.scheme`);
      check(config.scheme === '' || integration.type === 'webhook', `${at}.config.scheme`, 'is allowed for webhook integrations only');
      const contract = payloadContractProblem(integration.type, config, request.schema?.inputs ?? []);
      if (contract) throw invalidArgument(`${at}.config.${contract.field}`, contract.reason);
    }
  });
  unique(
    request.integrations.map((integration) => integration.name),
    (index) => `integrations[${index}].name`,
  );
}

function validateCredentialInputs(credentials: CredentialInput[], options: { valuesRequired: boolean }): void {
  credentials.forEach((credential, index) => {
    const at = `credentials[${index}]`;
    required(credential.name, `${at}.name`);
    maxLength(credential.name, 253, `${at}.name`);
    check(credentialName.test(credential.name), `${at}.name`, 'must start with a letter or "_" and hold only letters, digits, "_", "." and "-"');
    if (credential.type !== '') oneOf(credential.type, credentialTypes, `${at}.type`);
    if (credential.source !== '') oneOf(credential.source, credentialSources, `${at}.source`);
    const source = credential.source || 'external';
    if (source === 'generated') check(credential.value === '', `${at}.value`, 'must be empty: BDK generates the value of a generated credential');
    if (source === 'external' && options.valuesRequired) required(credential.value, `${at}.value`);
  });
  unique(
    credentials.map((credential) => credential.name),
    (index) => `credentials[${index}].name`,
  );
}

export function validateCreateBookInstance(request: CreateBookInstanceRequest): void {
  validateId(request.bookId, 'book_id');
  validateDnsLabel(request.customerNamespace, 'customer_namespace');
  maxLength(request.organizationId, 63, 'organization_id');
  const deployment = request.deployment;
  if (deployment) {
    if (deployment.type !== '') oneOf(deployment.type, deploymentTypes, 'deployment.type');
    check(deployment.replicas >= 0 && deployment.replicas <= maxReplicas, 'deployment.replicas', `must be between 0 and ${maxReplicas}`);
    const autoscaling = deployment.autoscaling;
    if (autoscaling) {
      const { minReplicas, maxReplicas: most, targetCpuUtilization } = autoscaling;
      check(most >= 1 && most <= maxReplicas, 'deployment.autoscaling.max_replicas', `must be between 1 and ${maxReplicas}`);
      check(minReplicas >= 0 && minReplicas <= most, 'deployment.autoscaling.min_replicas', `must be between 1 and max_replicas (${most})`);
      check(
        targetCpuUtilization >= 0 && targetCpuUtilization <= 100,
        'deployment.autoscaling.target_cpu_utilization',
        'must be a percentage between 1 and 100',
      );
      check(
        autoscaling.targetWebhookBacklog >= 0 && autoscaling.targetWebhookBacklog <= 100_000,
        'deployment.autoscaling.target_webhook_backlog',
        'must be between 1 and 100000 webhooks per pod (0 or absent: scale on CPU only)',
      );
    }
    const resources = deployment.resources;
    if (resources) {
      check(resources.cpu === '' || quantity.test(resources.cpu), 'deployment.resources.cpu', `must be a Kubernetes quantity such as 500m, got "${resources.cpu}"`);
      check(
        resources.memory === '' || quantity.test(resources.memory),
        'deployment.resources.memory',
        `must be a Kubernetes quantity such as 1Gi, got "${resources.memory}"`,
      );
    }
  }
  const tailscale = request.networking?.tailscale;
  if (tailscale?.enabled) required(tailscale.tailnet, 'networking.tailscale.tailnet');
  if (tailscale) maxLength(tailscale.tailnet, 253, 'networking.tailscale.tailnet');
  validateCredentialInputs(request.credentials, { valuesRequired: true });
  const configuration = request.configuration;
  if (configuration) {
    maxLength(configuration.environment, 63, 'configuration.environment');
    if (configuration.logLevel !== '') oneOf(configuration.logLevel, logLevels, 'configuration.log_level');
  }
}

export function validateListBooks(request: ListBooksRequest): number {
  if (request.name !== '') validateDnsLabel(request.name, 'name');
  return validatePageSize(request.pageSize);
}

export function validateListBookInstances(request: ListBookInstancesRequest): number {
  validateId(request.bookId, 'book_id');
  if (request.customerNamespace !== '') validateDnsLabel(request.customerNamespace, 'customer_namespace');
  return validatePageSize(request.pageSize);
}

export function validateRotateCredentials(request: RotateInstanceCredentialsRequest): void {
  validateId(request.bookId, 'book_id');
  validateId(request.instanceId, 'instance_id');
  // Which credentials exist, and their sources, is known only once the instance is read (see instances/instances.ts).
  validateCredentialInputs(request.credentials, { valuesRequired: false });
}

/** Longest time a replaced webhook signing secret may keep verifying: a week, as the senders' own rotations allow. */
export const maxPreviousSecretSeconds = 604_800;

export function validateRotateWebhookSecret(request: RotateWebhookSecretRequest): void {
  validateId(request.bookId, 'book_id');
  validateId(request.instanceId, 'instance_id');
  validateDnsLabel(request.source, 'source');
  check(request.previousValidSeconds <= maxPreviousSecretSeconds, 'previous_valid_seconds', `must be at most ${maxPreviousSecretSeconds} (7 days)`);
  check(!request.revokePrevious || request.previousValidSeconds === 0, 'previous_valid_seconds', 'must be 0 when revoke_previous is set');
}
