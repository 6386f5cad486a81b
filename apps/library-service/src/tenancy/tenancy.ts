// Which organisation a request acts for, and which customer namespaces it may use. Pure rules; the lookups that
// feed them (the namespace as stored, other organisations' instances) are in customer-namespace.ts.
import { Code, ConnectError } from '@connectrpc/connect';
import { reservedNamespace, type NamespaceDecision } from '@bdk/k8s';
import { invalidArgument } from '../validation.js';

/**
 * The organisation a request acts for: the caller's. A request may name it (the spec's `organization_id`), but
 * naming another one is PERMISSION_DENIED: a token is never a way into a second organisation.
 */
export function requestOrganization(requested: string, callerOrganization: string): string {
  if (requested !== '' && requested !== callerOrganization) {
    throw new ConnectError(`organization_id: the caller acts for organisation "${callerOrganization}", not "${requested}"`, Code.PermissionDenied);
  }
  return callerOrganization;
}

export interface NamespacePolicy {
  /** BDK's own namespace: never a customer's. */
  bdkNamespace: string;
  /** When set, every customer namespace starts with it. */
  requiredPrefix?: string;
}

/** Refuses a customer namespace name no organisation may use, naming the field; says nothing about who owns what. */
export function checkNamespaceName(name: string, policy: NamespacePolicy): void {
  if (reservedNamespace(name, policy.bdkNamespace)) {
    throw invalidArgument('customer_namespace', `"${name}" is reserved (a Kubernetes system namespace or BDK's own) and cannot hold book instances`);
  }
  if (policy.requiredPrefix && !name.startsWith(policy.requiredPrefix)) {
    throw invalidArgument('customer_namespace', `must start with "${policy.requiredPrefix}", got "${name}"`);
  }
}

/**
 * The API's answer to the controller's rule (decideNamespace) for an organisation and a namespace: nothing when the
 * instance may go there; PERMISSION_DENIED for a namespace that is another organisation's or not BDK's.
 */
export function checkNamespaceDecision(decision: NamespaceDecision): void {
  if (decision.action !== 'refuse') return;
  if (decision.reason === 'NamespaceReserved') throw invalidArgument('customer_namespace', decision.message);
  throw new ConnectError(`customer_namespace: ${decision.message}`, Code.PermissionDenied);
}
