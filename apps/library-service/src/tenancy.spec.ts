import { Code, ConnectError } from '@connectrpc/connect';
import { describe, expect, it } from '@jest/globals';
import { checkNamespaceName, checkNamespaceOwner, requestOrganization } from './tenancy.js';

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

describe('checkNamespaceOwner', () => {
  it("accepts BDK's namespace of the same organisation", () => {
    expect(refusal(() => checkNamespaceOwner('customer-acme', { managedByBdk: true, organizationId: 'acme' }, 'acme'))).toBeUndefined();
  });

  it("refuses another organisation's namespace and one BDK did not create", () => {
    expect(refusal(() => checkNamespaceOwner('customer-acme', { managedByBdk: true, organizationId: 'acme' }, 'globex'))).toEqual([
      Code.PermissionDenied,
      'customer_namespace: namespace "customer-acme" belongs to another organisation',
    ]);
    expect(refusal(() => checkNamespaceOwner('team-a', { managedByBdk: false, organizationId: undefined }, 'acme'))?.[0]).toBe(Code.PermissionDenied);
    expect(refusal(() => checkNamespaceOwner('team-a', { managedByBdk: true, organizationId: undefined }, 'acme'))?.[0]).toBe(Code.PermissionDenied);
  });
});
