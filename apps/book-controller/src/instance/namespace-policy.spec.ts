import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '@bdk/service-runtime';
import { desiredNamespacePolicy, readNamespacePolicy, tailscaleLabel } from './namespace-policy.js';

const policy = readNamespacePolicy({}, { bdkNamespace: 'bdk', bookPort: 8080 });

describe('desiredNamespacePolicy', () => {
  const [quota, limits, deny, allow, tailscale] = desiredNamespacePolicy('customer-acme', policy);

  it('caps the namespace and gives every container requests and limits', () => {
    expect(quota).toMatchObject({ kind: 'ResourceQuota', metadata: { namespace: 'customer-acme' }, spec: { hard: { pods: '50', 'limits.memory': '40Gi' } } });
    expect(limits).toMatchObject({ kind: 'LimitRange', spec: { limits: [{ type: 'Container', default: { cpu: '1', memory: '512Mi' }, defaultRequest: { cpu: '100m' } }] } });
  });

  it('denies all ingress but triggers from the controller pods of BDK namespace to the book port, and Tailscale UDP', () => {
    expect(deny?.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress'], ingress: [] });
    expect(allow?.spec).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/managed-by': 'bdk' } },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'bdk' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'book-controller' } } }],
          ports: [{ protocol: 'TCP', port: 8080 }],
        },
      ],
    });
    expect(tailscale?.spec).toMatchObject({ podSelector: { matchLabels: { [tailscaleLabel]: 'true' } }, ingress: [{ ports: [{ protocol: 'UDP', port: 41641 }] }] });
  });

  it('stamps each object with its applied hash', () => {
    for (const object of desiredNamespacePolicy('customer-acme', policy)) expect(object.metadata.annotations?.['bdk.voyager.io/applied-hash']).toMatch(/^[0-9a-f]+$/);
  });
});

describe('readNamespacePolicy', () => {
  it('reads quantities and the trigger source labels, and refuses what Kubernetes would', () => {
    const custom = readNamespacePolicy({ BDK_NAMESPACE_QUOTA_PODS: '10', BDK_TRIGGER_SOURCE_POD_LABELS: 'app=router, tier=edge' }, { bdkNamespace: 'platform', bookPort: 9000 });
    expect(custom.quota.pods).toBe('10');
    expect(custom.triggerSource).toEqual({ namespace: 'platform', podLabels: { app: 'router', tier: 'edge' } });
    expect(() => readNamespacePolicy({ BDK_NAMESPACE_QUOTA_LIMITS_MEMORY: 'lots' }, { bdkNamespace: 'bdk', bookPort: 1 })).toThrow(ConfigError);
    expect(() => readNamespacePolicy({ BDK_TRIGGER_SOURCE_POD_LABELS: 'app' }, { bdkNamespace: 'bdk', bookPort: 1 })).toThrow(/key=value/);
  });
});
