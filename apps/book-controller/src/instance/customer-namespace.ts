// Makes sure a customer namespace is one BDK may write into for an organisation, creating or claiming it when
// needed (the rules: @bdk/k8s decideNamespace). Both the reconcile and StoreInstanceSecrets go through here before
// writing anything into a customer namespace.
import { bdkLabels, customerNamespaceLabels, decideNamespace, isConflict, isNotFound, managedByBdk, podSecurityLabels, type RefusalReason } from '@bdk/k8s';
import type { Logger } from '@bdk/service-runtime';
import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Namespace } from '@kubernetes/client-node';
import { shareConnections } from './shared-connections.js';

export type NamespaceCheck = { writable: true } | { writable: false; reason: RefusalReason; message: string };

export interface CustomerNamespaces {
  /**
   * Creates the namespace for the organisation when absent (labelled managed-by=bdk and with the organisation),
   * or finds it writable, or says why not. Throws on apiserver errors and while the namespace is being deleted.
   * `cached`: the namespace as a watch cache holds it; when that copy is writable as it is, nothing is read.
   */
  ensure(name: string, organizationId: string, log: Logger, cached?: V1Namespace): Promise<NamespaceCheck>;
  /** Whether the namespace exists and BDK may write into it for the organisation; reads only. */
  owned(name: string, organizationId: string): Promise<boolean>;
  /**
   * BDK's namespace of shared workloads, created when absent (managed by BDK, no organisation, Pod Security
   * restricted); false when a namespace of that name exists and is not BDK's.
   */
  ensureShared(name: string, log: Logger): Promise<boolean>;
}

// Two writers racing for one namespace (two organisations creating it, a claim against a label change) lose a
// round to a 409 and decide again on what the winner left; more rounds than this means something keeps changing it.
const maxRounds = 3;
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export function createCustomerNamespaces(kubeConfig: KubeConfig, bdkNamespace: string): CustomerNamespaces {
  const core = shareConnections(kubeConfig).makeApiClient(CoreV1Api);

  async function read(name: string): Promise<V1Namespace | undefined> {
    try {
      return await core.readNamespace({ name });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** BDK may write into it for the organisation with no change: no create, no claim, Pod Security in place. */
  function writableAsIs(name: string, namespace: V1Namespace, organizationId: string): boolean {
    return (
      !namespace.metadata?.deletionTimestamp &&
      decideNamespace({ name, namespace, organizationId, bdkNamespace }).action === 'use' &&
      Object.entries(podSecurityLabels).every(([key, value]) => namespace.metadata?.labels?.[key] === value)
    );
  }

  return {
    async ensure(name, organizationId, log, cached) {
      // Anything else (absent, another organisation's, labels to restore) is decided on what the apiserver says now.
      if (cached && writableAsIs(name, cached, organizationId)) return { writable: true };
      for (let round = 1; ; round++) {
        const namespace = await read(name);
        const decision = decideNamespace({ name, namespace, organizationId, bdkNamespace });
        if (decision.action === 'refuse') return { writable: false, reason: decision.reason, message: decision.message };
        if (namespace?.metadata?.deletionTimestamp) throw new Error(`customer namespace ${name} is being deleted`);
        try {
          if (decision.action === 'create') {
            await core.createNamespace({ body: { metadata: { name, labels: customerNamespaceLabels(organizationId) } } });
            log.info('created the customer namespace', { namespace: name, organization_id: organizationId });
          } else if (decision.action === 'claim') {
            // resourceVersion makes the patch conditional: whoever labelled it first keeps it.
            await core.patchNamespace(
              { name, body: { metadata: { labels: customerNamespaceLabels(organizationId), resourceVersion: namespace?.metadata?.resourceVersion } } },
              mergePatch,
            );
            log.info('claimed the customer namespace for the organisation', { namespace: name, organization_id: organizationId });
          } else if (Object.entries(podSecurityLabels).some(([key, value]) => namespace?.metadata?.labels?.[key] !== value)) {
            // A namespace made before BDK enforced Pod Security, or whose labels someone changed.
            await core.patchNamespace(
              { name, body: { metadata: { labels: podSecurityLabels, resourceVersion: namespace?.metadata?.resourceVersion } } },
              mergePatch,
            );
            log.info('set Pod Security admission to restricted on the customer namespace', { namespace: name });
          }
          return { writable: true };
        } catch (error) {
          if (!isConflict(error) || round >= maxRounds) throw error;
        }
      }
    },
    async ensureShared(name, log) {
      const namespace = await read(name);
      if (namespace) return namespace.metadata?.labels?.[bdkLabels.managedBy] === managedByBdk;
      try {
        await core.createNamespace({ body: { metadata: { name, labels: { [bdkLabels.managedBy]: managedByBdk, ...podSecurityLabels } } } });
        log.info('created the shared workloads namespace', { namespace: name });
      } catch (error) {
        if (!isConflict(error)) throw error;
      }
      return true;
    },
    async owned(name, organizationId) {
      const namespace = await read(name);
      if (!namespace) return false;
      const decision = decideNamespace({ name, namespace, organizationId, bdkNamespace });
      return decision.action === 'use' || decision.action === 'claim';
    },
  };
}
