// The Secret in the customer namespace that holds an instance's credential values, one key per credential
// (credentialSecretKey). It is the only place a value is ever written; the instance CR points at it.
import { randomBytes } from 'node:crypto';
import { PatchStrategy, setHeaderOptions, type CoreV1Api, type V1ObjectMeta } from '@kubernetes/client-node';
import { isNotFound } from '@bdk/k8s';

export type SecretApi = Pick<CoreV1Api, 'createNamespacedSecret' | 'deleteNamespacedSecret' | 'readNamespacedSecret' | 'patchNamespacedSecret'>;

/** Values by Secret key. Never logged, never returned. */
export type CredentialValues = Record<string, string>;

/** A value for a generated credential: 256 random bits, URL-safe base64 (43 characters). */
export function generateCredentialValue(): string {
  return randomBytes(32).toString('base64url');
}

function encode(values: CredentialValues): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [key, Buffer.from(value, 'utf8').toString('base64')]));
}

export interface SecretTarget {
  namespace: string;
  name: string;
  /** Labels and annotations per the shared conventions (instance-id, book-id, managed-by; the instance annotation). */
  metadata: Pick<V1ObjectMeta, 'labels' | 'annotations'>;
}

export async function createCredentialsSecret(api: SecretApi, target: SecretTarget, values: CredentialValues): Promise<void> {
  await api.createNamespacedSecret({
    namespace: target.namespace,
    body: { metadata: { name: target.name, namespace: target.namespace, ...target.metadata }, type: 'Opaque', data: encode(values) },
  });
}

/** Resolves when the Secret is gone, whether or not it existed. */
export async function deleteCredentialsSecret(api: SecretApi, target: Pick<SecretTarget, 'namespace' | 'name'>): Promise<void> {
  try {
    await api.deleteNamespacedSecret({ namespace: target.namespace, name: target.name });
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/**
 * Sets the given keys, keeping the others. Creates the Secret when it is missing (an instance whose credentials
 * were all manual until now, or a Secret an operator removed).
 */
export async function writeCredentialValues(api: SecretApi, target: SecretTarget, values: CredentialValues): Promise<void> {
  try {
    await api.readNamespacedSecret({ namespace: target.namespace, name: target.name });
  } catch (error) {
    if (!isNotFound(error)) throw error;
    await createCredentialsSecret(api, target, values);
    return;
  }
  await api.patchNamespacedSecret({ namespace: target.namespace, name: target.name, body: { data: encode(values) } }, mergePatch);
}
