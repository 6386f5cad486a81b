// The customer namespace an instance deploys into: used when it exists, created (labelled as BDK's) when not.
import type { CoreV1Api } from '@kubernetes/client-node';
import { bdkLabels, isConflict, isNotFound, managedByBdk } from '@bdk/k8s';
import { Code, ConnectError } from '@connectrpc/connect';

export type NamespaceApi = Pick<CoreV1Api, 'readNamespace' | 'createNamespace'>;

/** Whether ensureNamespace made the namespace: only then may a failed creation think of removing it. */
export interface EnsuredNamespace {
  created: boolean;
}

export async function ensureNamespace(api: NamespaceApi, name: string): Promise<EnsuredNamespace> {
  try {
    const existing = await api.readNamespace({ name });
    if (existing.metadata?.deletionTimestamp) {
      throw new ConnectError(`customer_namespace: namespace ${name} is being deleted; try again once it is gone`, Code.FailedPrecondition);
    }
    return { created: false };
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  try {
    await api.createNamespace({ body: { metadata: { name, labels: { [bdkLabels.managedBy]: managedByBdk } } } });
    return { created: true };
  } catch (error) {
    // Another request created it between our read and create: it exists, which is all we need.
    if (isConflict(error)) return { created: false };
    throw error;
  }
}
