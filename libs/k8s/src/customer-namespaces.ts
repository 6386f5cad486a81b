// Whether BDK may put an organisation's instance into a customer namespace. Pure: the caller reads the Namespace
// and acts on the decision. The library-service asks before it accepts an instance, the controller before it writes;
// one rule, so the API never accepts what the controller then refuses. A namespace BDK does not manage, or manages for another organisation, is never
// written into: an instance must not be able to land its objects (or read its Secrets back) in someone else's
// namespace just by naming it.
import { bdkLabels, managedByBdk } from './labels.js';
import type { V1Namespace } from '@kubernetes/client-node';

/** Namespaces of the cluster itself: never a customer's, whatever the labels say. */
const systemNamespaces = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);

/** Whether `name` is a namespace no instance may use: the cluster's own (kube-*, default) or BDK's. */
export function reservedNamespace(name: string, bdkNamespace: string): boolean {
  return systemNamespaces.has(name) || name.startsWith('kube-') || name === bdkNamespace;
}

// A Kubernetes label value: the organisation id is stored as one on the Namespace and the Secrets.
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export function validOrganizationId(organizationId: string): boolean {
  return organizationId !== '' && organizationId.length <= 63 && labelValue.test(organizationId);
}

/**
 * Pod Security admission at `restricted` on a customer namespace: the apiserver itself refuses a pod that could
 * escalate privileges there, whoever creates it.
 */
export const podSecurityLabels: Readonly<Record<string, string>> = {
  'pod-security.kubernetes.io/enforce': 'restricted',
  'pod-security.kubernetes.io/enforce-version': 'latest',
  'pod-security.kubernetes.io/warn': 'restricted',
  'pod-security.kubernetes.io/audit': 'restricted',
};

/** The labels of a customer namespace BDK manages for `organizationId`. */
export function customerNamespaceLabels(organizationId: string): Record<string, string> {
  return { [bdkLabels.managedBy]: managedByBdk, [bdkLabels.organizationId]: organizationId, ...podSecurityLabels };
}

export type RefusalReason = 'NamespaceReserved' | 'NamespaceNotOwned' | 'OrganizationInvalid';

export type NamespaceDecision =
  /** Absent: create it with customerNamespaceLabels. */
  | { action: 'create' }
  /** Managed by BDK for this organisation: write into it. */
  | { action: 'use' }
  /** Managed by BDK but for no organisation yet (made before organisations were recorded): label it, then use it. */
  | { action: 'claim' }
  | { action: 'refuse'; reason: RefusalReason; message: string };

export function decideNamespace(input: { name: string; namespace: V1Namespace | undefined; organizationId: string; bdkNamespace: string }): NamespaceDecision {
  const { name, namespace, organizationId } = input;
  const refuse = (reason: RefusalReason, message: string): NamespaceDecision => ({ action: 'refuse', reason, message });
  if (reservedNamespace(name, input.bdkNamespace)) return refuse('NamespaceReserved', `namespace ${name} is reserved and never holds customer objects`);
  if (!validOrganizationId(organizationId)) {
    return refuse('OrganizationInvalid', `organization id "${organizationId}" is not a valid label value (1-63 characters: letters, digits, '-', '_', '.')`);
  }
  if (!namespace) return { action: 'create' };
  const labels = namespace.metadata?.labels ?? {};
  if (labels[bdkLabels.managedBy] !== managedByBdk) {
    return refuse(
      'NamespaceNotOwned',
      `namespace ${name} exists and is not managed by BDK; to hand it over, label it ${bdkLabels.managedBy}=${managedByBdk} and ${bdkLabels.organizationId}=<organization id>`,
    );
  }
  const owner = labels[bdkLabels.organizationId];
  // The other organisation is not named: this message reaches the API caller, who must not learn who it is.
  if (owner === undefined || owner === '') return { action: 'claim' };
  if (owner !== organizationId) return refuse('NamespaceNotOwned', `namespace ${name} belongs to another organisation`);
  return { action: 'use' };
}
