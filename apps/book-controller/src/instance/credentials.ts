// Whether an instance's credentials exist, and a digest of their values for the pod template, so a rotated
// credential rolls the book's pods. The controller never holds a credential value: a Secret is reduced to a
// SHA-256 of each value before it is cached or compared (digestSecret), and the digest of digests is all that
// reaches the Deployment.
import { credentialSecretKey, credentialsSecretName, type BookInstanceDefinition } from '@bdk/k8s';
import type { V1Secret } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import { ConditionReason } from './conditions.js';
import type { InstanceIdentity } from './desired-objects.js';
import type { Observation } from './instance-status.js';

/** The type a digested Secret is given in the cache, so that digesting it again changes nothing. */
const digestedType = 'bdk.voyager.io/digests';

/**
 * A Secret with each value replaced by its SHA-256 (hex); `stringData` and every other value dropped. Idempotent:
 * the cache applies it to a listed Secret once more.
 */
export function digestSecret(secret: V1Secret): V1Secret {
  if (secret.type === digestedType) return secret;
  const data: Record<string, string> = {};
  for (const [key, value] of Object.entries(secret.data ?? {})) data[key] = createHash('sha256').update(value).digest('hex');
  const { name, namespace, uid, resourceVersion, labels, annotations } = secret.metadata ?? {};
  return { apiVersion: secret.apiVersion, kind: secret.kind, metadata: { name, namespace, uid, resourceVersion, labels, annotations }, type: digestedType, data };
}

/** Reads one Secret of the customer namespace as digestSecret gives it, or undefined when it does not exist. */
export type DigestedSecretReader = (namespace: string, name: string) => Promise<V1Secret | undefined>;

export interface CredentialsObservation {
  observation: Observation;
  /** Digest over every referenced value; '' without credentials or while one is missing. */
  digest: string;
}

/** Each credential's Secret name and key, as the pods read them. */
export function credentialReferences(id: Pick<InstanceIdentity, 'bookName' | 'instanceId'>, instance: BookInstanceDefinition): { secret: string; key: string }[] {
  return (instance.spec.credentials ?? []).map((credential) => ({
    secret: credential.secretRef?.name ?? credentialsSecretName(id.bookName, id.instanceId),
    key: credential.secretRef?.key ?? credentialSecretKey(credential.name),
  }));
}

export async function observeCredentials(
  id: Pick<InstanceIdentity, 'bookName' | 'instanceId' | 'customerNamespace'>,
  instance: BookInstanceDefinition,
  read: DigestedSecretReader,
): Promise<CredentialsObservation> {
  const references = credentialReferences(id, instance);
  if (references.length === 0) {
    return { observation: { status: 'True', reason: ConditionReason.NoCredentials, message: 'the instance declares no credentials' }, digest: '' };
  }
  const hash = createHash('sha256');
  const secrets = new Map<string, V1Secret | undefined>();
  for (const { secret: name, key } of references) {
    if (!secrets.has(name)) secrets.set(name, await read(id.customerNamespace, name));
    const secret = secrets.get(name);
    if (!secret) {
      return { observation: { status: 'False', reason: ConditionReason.SecretNotFound, message: `Secret ${id.customerNamespace}/${name} not found` }, digest: '' };
    }
    const valueDigest = secret.data?.[key];
    if (valueDigest === undefined) {
      return { observation: { status: 'False', reason: ConditionReason.SecretKeyMissing, message: `Secret ${id.customerNamespace}/${name} has no key ${key}` }, digest: '' };
    }
    hash.update(`${name}/${key}=${valueDigest}\n`);
  }
  return {
    observation: { status: 'True', reason: ConditionReason.SecretsFound, message: `${references.length} credentials available` },
    digest: hash.digest('hex').slice(0, 32),
  };
}
