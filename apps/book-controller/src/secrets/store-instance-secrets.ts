// StoreInstanceSecrets: the library-service hands over an instance's credential values and webhook signing
// secrets, and the controller (the only writer into customer namespaces) stores them in the instance's two
// Secrets there. An instance of another organisation answers exactly like a missing one, so a caller cannot
// learn which instances exist outside its organisation. Every credential and source written is audited and
// recorded as an Event on the instance; values never leave the Secrets.
import { timestampFromDate, type Timestamp } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, type ServiceImpl } from '@connectrpc/connect';
import {
  bdkLabels,
  bookObjectNameOf,
  credentialSecretKey,
  credentialsSecretName,
  instanceObjectMetadata,
  secretPurposes,
  webhookSigningSecretName,
  type BookInstanceDefinition,
} from '@bdk/k8s';
import type { BookControllerService, StoreInstanceSecretsRequest } from '@bdk/proto';
import { AuditAction, type AuditEvent, type AuditLog, type AuditOutcome, type Logger } from '@bdk/service-runtime';
import { internalCaller } from '../internal-auth/internal-auth-interceptor.js';
import { EventReason } from '../instance/conditions.js';
import type { CustomerNamespaces } from '../instance/customer-namespace.js';
import { identify, type InstanceIdentity } from '../instance/desired-objects.js';
import type { EventRecorder } from '../instance/events.js';
import type { InstanceLookup } from '../instance/instance-lookup.js';
import { ForeignSecretError, type SecretChange, type SecretTarget, type SecretWriter } from './secret-writer.js';
import { parseSigningEntry, previousExpiry, rotateSigningEntry, serializeSigningEntry, signingKey, validSource } from './signing-secret.js';

export interface StoreInstanceSecretsDeps {
  /** BDK's namespace: the only one whose instances exist for this API. */
  namespace: string;
  lookup: InstanceLookup;
  namespaces: CustomerNamespaces;
  secrets: SecretWriter;
  events: EventRecorder;
  audit: AuditLog;
  logger: Logger;
  now?: () => Date;
}

/** Longest window a replaced signing secret may keep verifying: a rotation is not meant to leave two secrets forever. */
export const maxPreviousValidSeconds = 30 * 24 * 3600;
const reasons = new Set(['create', 'rotate']);

/** Bad input names its field. */
export function validateStore(request: StoreInstanceSecretsRequest): void {
  const invalid = (message: string) => new ConnectError(message, Code.InvalidArgument);
  if (!request.instance || request.instance.namespace.trim() === '') throw invalid('instance.namespace is required');
  if (request.instance.name.trim() === '') throw invalid('instance.name is required');
  if (request.organizationId.trim() === '') throw invalid('organization_id is required');
  if (request.actor.trim() === '') throw invalid('actor is required');
  if (!reasons.has(request.reason)) throw invalid(`reason must be "create" or "rotate", got "${request.reason}"`);
  const keys = new Map<string, string>();
  for (const [name, value] of Object.entries(request.credentials)) {
    if (name.trim() === '') throw invalid('credentials must not have an empty name');
    if (value === '') throw invalid(`credentials["${name}"] must not be empty`);
    const key = credentialSecretKey(name);
    const clash = keys.get(key);
    if (clash !== undefined) throw invalid(`credentials "${clash}" and "${name}" would be stored under the same key "${key}"`);
    keys.set(key, name);
  }
  const sources = new Set<string>();
  request.webhookSecrets.forEach((update, i) => {
    if (update.source.trim() === '') throw invalid(`webhook_secrets[${i}].source is required`);
    if (!validSource(update.source)) throw invalid(`webhook_secrets[${i}].source must be a DNS label (a-z, 0-9, '-'), got "${update.source}"`);
    if (sources.has(signingKey(update.source))) throw invalid(`webhook_secrets[${i}].source "${update.source}" appears more than once`);
    sources.add(signingKey(update.source));
    if (update.secret === '') throw invalid(`webhook_secrets[${i}].secret is required`);
    if (update.previousValidSeconds > maxPreviousValidSeconds) {
      throw invalid(`webhook_secrets[${i}].previous_valid_seconds must be at most ${maxPreviousValidSeconds}, got ${update.previousValidSeconds}`);
    }
  });
}

export function createStoreInstanceSecrets(deps: StoreInstanceSecretsDeps): ServiceImpl<typeof BookControllerService>['storeInstanceSecrets'] {
  const { namespace, lookup, namespaces, secrets, events, audit, logger } = deps;
  const now = deps.now ?? (() => new Date());

  return async function storeInstanceSecrets(request, context) {
    validateStore(request);
    const target = { namespace: request.instance?.namespace ?? '', name: request.instance?.name ?? '' };
    const ref = `${target.namespace}/${target.name}`;
    const reason = request.reason as 'create' | 'rotate';
    const credentialNames = Object.keys(request.credentials);
    const sources = request.webhookSecrets.map((update) => signingKey(update.source));
    const log = logger.child({ instance: ref, rpc: 'StoreInstanceSecrets' });
    let instanceId = '';
    const record = (action: AuditEvent['action'], names: string[], outcome: AuditOutcome, detail?: string) => {
      for (const name of names) {
        audit({
          action,
          actor: request.actor,
          caller: context.values.get(internalCaller)?.username ?? '',
          organization_id: request.organizationId,
          instance: ref,
          instance_id: instanceId,
          name,
          reason,
          outcome,
          ...(detail === undefined ? {} : { detail }),
        });
      }
    };
    const refuse = (outcome: AuditOutcome, code: Code, message: string): never => {
      record(AuditAction.credentialWrite, credentialNames, outcome, message);
      record(AuditAction.webhookSecretWrite, sources, outcome, message);
      throw new ConnectError(message, code);
    };

    let instance: BookInstanceDefinition | undefined;
    try {
      instance = target.namespace === namespace ? await lookup.instance(target.namespace, target.name) : undefined;
    } catch (error) {
      log.warn('instance lookup failed', { error });
      return refuse('error', Code.Unavailable, `looking up BookInstanceDefinition ${ref} failed`);
    }
    // Missing, going away, or another organisation's: all the same answer.
    if (!instance || instance.metadata.deletionTimestamp || instance.metadata.labels?.[bdkLabels.organizationId] !== request.organizationId) {
      return refuse('denied', Code.NotFound, `BookInstanceDefinition ${ref} not found`);
    }
    const bookObject = bookObjectNameOf(instance);
    if (bookObject === undefined) {
      return refuse('error', Code.FailedPrecondition, `BookInstanceDefinition ${ref} follows ${instance.spec.bookRef.version} and has no resolved version yet`);
    }
    const book = await lookup.book(namespace, bookObject).catch((error: unknown) => {
      log.warn('book lookup failed', { error });
      return refuse('error', Code.Unavailable, `looking up the book of ${ref} failed`);
    });
    if (!book) return refuse('error', Code.FailedPrecondition, `BookDefinition ${bookObject} of ${ref} not found`);
    const id = identify(instance, book);
    instanceId = id.instanceId;

    const check = await namespaces.ensure(id.customerNamespace, request.organizationId, log).catch((error: unknown) => {
      log.warn('customer namespace not ensured', { namespace: id.customerNamespace, error });
      return refuse('error', Code.Unavailable, `preparing namespace ${id.customerNamespace} failed`);
    });
    if (!check.writable) return refuse('denied', Code.PermissionDenied, check.message);

    const written: string[] = [];
    const previousExpiresAt: Record<string, Timestamp> = {};
    if (credentialNames.length > 0) {
      const name = credentialsSecretName(id.bookName, id.instanceId);
      const set = Object.fromEntries(Object.entries(request.credentials).map(([credential, value]) => [credentialSecretKey(credential), value]));
      await writeOrRefuse(secretTarget(id, request.organizationId, name, secretPurposes.credentials), () => ({ set, result: undefined }), AuditAction.credentialWrite, credentialNames);
      written.push(`${id.customerNamespace}/${name}`);
      record(AuditAction.credentialWrite, credentialNames, 'success');
      await events(instance, 'Normal', EventReason.CredentialsWritten, `credentials ${credentialNames.join(', ')} written by ${request.actor} (${reason})`);
    }
    if (sources.length > 0) {
      const name = webhookSigningSecretName(id.bookName, id.instanceId);
      const at = now();
      const expiries = await writeOrRefuse(
        secretTarget(id, request.organizationId, name, secretPurposes.webhookSigning),
        (stored) => {
          const set: Record<string, string> = {};
          const result: Record<string, Date> = {};
          for (const update of request.webhookSecrets) {
            const key = signingKey(update.source);
            const entry = rotateSigningEntry(parseSigningEntry(stored[key]), update.secret, update.previousValidSeconds, at);
            set[key] = serializeSigningEntry(entry);
            const expiry = previousExpiry(entry, at);
            if (expiry) result[key] = expiry;
          }
          return { set, result };
        },
        AuditAction.webhookSecretWrite,
        sources,
      );
      for (const [source, expiry] of Object.entries(expiries)) previousExpiresAt[source] = timestampFromDate(expiry);
      written.push(`${id.customerNamespace}/${name}`);
      record(AuditAction.webhookSecretWrite, sources, 'success');
      await events(instance, 'Normal', EventReason.WebhookSecretRotated, `webhook signing secrets for ${sources.join(', ')} written by ${request.actor} (${reason})`);
    }
    log.info('stored the instance secrets', { written, names: credentialNames, sources });
    return { written, previousExpiresAt };

    async function writeOrRefuse<T>(
      secret: SecretTarget,
      change: SecretChange<T>,
      action: AuditEvent['action'],
      names: string[],
    ): Promise<T> {
      try {
        return await secrets.write(secret, change);
      } catch (error) {
        log.warn('Secret not written', { target: `${secret.namespace}/${secret.name}`, error });
        const foreign = error instanceof ForeignSecretError;
        const message = foreign ? error.message : `writing Secret ${secret.namespace}/${secret.name} failed`;
        record(action, names, 'error', message);
        throw new ConnectError(message, foreign ? Code.FailedPrecondition : Code.Unavailable);
      }
    }
  };
}

/** Where one of the instance's Secrets goes, labelled like every object of the instance plus its organisation and purpose. */
function secretTarget(id: InstanceIdentity, organizationId: string, name: string, purpose: string): SecretTarget {
  const metadata = instanceObjectMetadata(id);
  return {
    namespace: id.customerNamespace,
    name,
    labels: { ...metadata.labels, [bdkLabels.organizationId]: organizationId, [bdkLabels.secretPurpose]: purpose },
    annotations: metadata.annotations,
  };
}
