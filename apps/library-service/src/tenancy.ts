// Which organisation a request acts for, and which customer namespaces it may use. Pure rules; the lookups that
// feed them (the namespace as stored, other organisations' instances) are in customer-namespace.ts.
import { Code, ConnectError } from '@connectrpc/connect';
import { invalidArgument } from './validation.js';

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

/** Namespaces Kubernetes itself uses, never a customer's. */
function isSystemNamespace(name: string): boolean {
  return name === 'default' || name.startsWith('kube-');
}

/** Refuses a customer namespace name no organisation may use, naming the field; says nothing about who owns what. */
export function checkNamespaceName(name: string, policy: NamespacePolicy): void {
  if (isSystemNamespace(name)) throw invalidArgument('customer_namespace', `"${name}" is a Kubernetes system namespace and cannot hold book instances`);
  if (name === policy.bdkNamespace) throw invalidArgument('customer_namespace', `"${name}" is BDK's own namespace and cannot hold book instances`);
  if (policy.requiredPrefix && !name.startsWith(policy.requiredPrefix)) {
    throw invalidArgument('customer_namespace', `must start with "${policy.requiredPrefix}", got "${name}"`);
  }
}

/** What is known of an existing namespace: whether BDK made it, and for which organisation. */
export interface NamespaceOwnership {
  managedByBdk: boolean;
  organizationId: string | undefined;
}

/**
 * Whether `organizationId` may put an instance into an existing namespace: only one BDK created for that
 * organisation. Anything else (another organisation's, or a namespace BDK did not create) is PERMISSION_DENIED.
 */
export function checkNamespaceOwner(name: string, existing: NamespaceOwnership, organizationId: string): void {
  if (!existing.managedByBdk || existing.organizationId === undefined) {
    throw new ConnectError(`customer_namespace: namespace "${name}" exists and was not created by BDK for organisation "${organizationId}"`, Code.PermissionDenied);
  }
  if (existing.organizationId !== organizationId) {
    throw new ConnectError(`customer_namespace: namespace "${name}" belongs to another organisation`, Code.PermissionDenied);
  }
}
