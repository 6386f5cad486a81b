import { Code, ConnectError } from '@connectrpc/connect';
import { describe, expect, it } from '@jest/globals';
import { bdkLabels, decideNamespace } from '@bdk/k8s';
import { checkNamespaceDecision, checkNamespaceName, requestOrganization } from './tenancy.js';

function refusal(action: () => void): [Code, string] | undefined {
  try {
    action();
    return undefined;
  } catch (error) {
    const connectError = ConnectError.from(error);
    return [connectError.code, connectError.rawMessage];
  }
}

describe('requestOrganization', () => {
  it("is the caller's when the request names none or names it", () => {
    expect(requestOrganization('', 'acme')).toBe('acme');
    expect(requestOrganization('acme', 'acme')).toBe('acme');
  });

  it('refuses another organisation with PERMISSION_DENIED', () => {
    expect(refusal(() => requestOrganization('globex', 'acme'))?.[0]).toBe(Code.PermissionDenied);
  });
});

describe('checkNamespaceName', () => {
  const policy = { bdkNamespace: 'bdk' };

  it.each(['default', 'kube-system', 'kube-public', 'kube-node-lease', 'bdk'])('refuses %s as INVALID_ARGUMENT on customer_namespace', (name) => {
    const [code, message] = refusal(() => checkNamespaceName(name, policy)) ?? [];
    expect(code).toBe(Code.InvalidArgument);
    expect(message).toMatch(/^customer_namespace: /);
  });

  it('accepts any other DNS label, and only prefixed ones when a prefix is required', () => {
    expect(refusal(() => checkNamespaceName('customer-acme', policy))).toBeUndefined();
    expect(refusal(() => checkNamespaceName('customer-acme', { ...policy, requiredPrefix: 'customer-' }))).toBeUndefined();
    expect(refusal(() => checkNamespaceName('acme', { ...policy, requiredPrefix: 'customer-' }))).toEqual([
      Code.InvalidArgument,
      'customer_namespace: must start with "customer-", got "acme"',
    ]);
  });
});

describe('checkNamespaceDecision', () => {
  const decide = (labels: Record<string, string> | undefined, organizationId: string) =>
    refusal(() => checkNamespaceDecision(decideNamespace({ name: 'customer-acme', namespace: { metadata: { name: 'customer-acme', labels } }, organizationId, bdkNamespace: 'bdk' })));
  const owned = (organizationId: string) => ({ [bdkLabels.managedBy]: 'bdk', [bdkLabels.organizationId]: organizationId });

  it("accepts BDK's namespace of the same organisation", () => {
    expect(decide(owned('acme'), 'acme')).toBeUndefined();
  });

  it("refuses another organisation's namespace without naming it, and one BDK did not create", () => {
    expect(decide(owned('acme'), 'globex')).toEqual([Code.PermissionDenied, 'customer_namespace: namespace customer-acme belongs to another organisation']);
    expect(decide(undefined, 'acme')?.[0]).toBe(Code.PermissionDenied);
    expect(decide({ team: 'a' }, 'acme')?.[0]).toBe(Code.PermissionDenied);
  });
});
