import { describe, expect, it } from '@jest/globals';
import type { V1Namespace } from '@kubernetes/client-node';
import { customerNamespaceLabels, decideNamespace, reservedNamespace } from './customer-namespaces.js';

const ns = (labels?: Record<string, string>): V1Namespace => ({ metadata: { name: 'customer-acme', labels } });
const decide = (namespace: V1Namespace | undefined, organizationId = 'org-a', name = 'customer-acme') =>
  decideNamespace({ name, namespace, organizationId, bdkNamespace: 'bdk' });

describe('decideNamespace', () => {
  it('creates an absent namespace and uses one BDK manages for the same organisation', () => {
    expect(decide(undefined)).toEqual({ action: 'create' });
    expect(decide(ns(customerNamespaceLabels('org-a')))).toEqual({ action: 'use' });
  });

  it('refuses a namespace BDK does not manage, saying how to hand it over', () => {
    for (const namespace of [ns(), ns({ 'app.kubernetes.io/managed-by': 'helm', 'bdk.voyager.io/organization-id': 'org-a' })]) {
      const decision = decide(namespace);
      expect(decision).toMatchObject({ action: 'refuse', reason: 'NamespaceNotOwned' });
      expect(decision.action === 'refuse' && decision.message).toContain('app.kubernetes.io/managed-by=bdk');
    }
  });

  it("refuses another organisation's namespace without naming that organisation", () => {
    const decision = decide(ns(customerNamespaceLabels('org-b')));
    expect(decision).toEqual({ action: 'refuse', reason: 'NamespaceNotOwned', message: 'namespace customer-acme belongs to another organisation' });
  });

  it('claims a BDK namespace that records no organisation', () => {
    expect(decide(ns({ 'app.kubernetes.io/managed-by': 'bdk' }))).toEqual({ action: 'claim' });
  });

  it.each(['default', 'kube-system', 'kube-public', 'kube-node-lease', 'kube-anything', 'bdk'])('refuses the reserved namespace %s even when labelled', (name) => {
    expect(decide(ns(customerNamespaceLabels('org-a')), 'org-a', name)).toMatchObject({ action: 'refuse', reason: 'NamespaceReserved' });
    expect(decide(undefined, 'org-a', name)).toMatchObject({ action: 'refuse', reason: 'NamespaceReserved' });
  });

  it.each(['', 'has space', 'x'.repeat(64), '-leading'])('refuses the organisation id %j, which cannot be a label value', (organizationId) => {
    expect(decide(undefined, organizationId)).toMatchObject({ action: 'refuse', reason: 'OrganizationInvalid' });
  });
});

describe('reservedNamespace', () => {
  it("is the cluster's namespaces and BDK's own, nothing else", () => {
    expect(reservedNamespace('bdk-system', 'bdk-system')).toBe(true);
    expect(reservedNamespace('bdk', 'bdk-system')).toBe(false);
    expect(reservedNamespace('customer-kube-fans', 'bdk')).toBe(false);
    expect(reservedNamespace('kubernetes-team', 'bdk')).toBe(false);
  });
});
