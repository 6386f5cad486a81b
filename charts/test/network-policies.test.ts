// Each app's NetworkPolicy (networkPolicy.enabled), evaluated the way a network plugin does for the pods of a
// release installed by the umbrella: which pod, in which namespace, may open which port of which app. The gateway
// reaches the REST apps' sidecars, the library-service and the webhook-router reach the controller's gRPC port,
// the named namespaces reach what they are given, and nothing else is admitted.
import type { V1LabelSelector, V1NetworkPolicy, V1NetworkPolicyPeer } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { appCharts, assertGenerated, render, type AppChart, type Rendered } from './helm.js';

const namespace = 'bdk';

interface Peer {
  namespace: string;
  labels: Record<string, string>;
}

const podOf = (name: string): Peer => ({ namespace, labels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': 'bdk' } });
const peers: Record<string, Peer> = {
  gateway: podOf('bdk-gateway'),
  'library-service': podOf('library-service'),
  'book-controller': podOf('book-controller'),
  'webhook-router': podOf('webhook-router'),
  'another release’s library-service': { namespace, labels: { 'app.kubernetes.io/name': 'library-service', 'app.kubernetes.io/instance': 'other' } },
  'a pod of the release namespace': { namespace, labels: { app: 'debug' } },
  'an ingress controller': { namespace: 'ingress-nginx', labels: { app: 'ingress-nginx' } },
  'a Prometheus': { namespace: 'monitoring', labels: { app: 'prometheus' } },
  'a customer’s book': { namespace: 'customer-acme', labels: { 'app.kubernetes.io/name': 'library-service', 'app.kubernetes.io/instance': 'bdk' } },
};
const ports = ['http', 'grpc', 'admin'];

function matches(selector: V1LabelSelector, labels: Record<string, string>): boolean {
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
  const byExpressions = (selector.matchExpressions ?? []).every((e) => {
    const value = labels[e.key];
    if (e.operator === 'In') return value !== undefined && (e.values ?? []).includes(value);
    throw new Error(`operator ${e.operator} is not evaluated here`);
  });
  return byLabels && byExpressions;
}

/** A peer of a NetworkPolicy rule admits `from` (a podSelector alone: the policy's namespace only). */
function admits(peer: V1NetworkPolicyPeer, from: Peer): boolean {
  const namespaceOk = peer.namespaceSelector ? matches(peer.namespaceSelector, { 'kubernetes.io/metadata.name': from.namespace }) : from.namespace === namespace;
  const podOk = peer.podSelector ? matches(peer.podSelector, from.labels) : true;
  return namespaceOk && podOk;
}

/** Every "peer → port" the app's policy lets through, for the peers above. */
function admitted(policy: V1NetworkPolicy): string[] {
  const found: string[] = [];
  for (const [name, from] of Object.entries(peers)) {
    for (const port of ports) {
      // Parsed from YAML, so the rule's peers are under `from` (client-node's type calls it _from).
      const rules = (policy.spec?.ingress ?? []) as { ports?: { port?: number | string }[]; from?: V1NetworkPolicyPeer[] }[];
      if (rules.some((r) => (r.ports ?? []).some((p) => p.port === port) && (r.from ?? []).some((peer) => admits(peer, from)))) found.push(`${name} → ${port}`);
    }
  }
  return found;
}

let rendered: Rendered;

beforeAll(async () => {
  assertGenerated();
  rendered = await render('bdk', {
    release: 'bdk',
    namespace,
    set: Object.fromEntries(
      appCharts.map((app) => [`${app}.networkPolicy`, { enabled: true, metricsNamespaces: ['monitoring'], ...(app === 'book-controller' ? {} : { ingressNamespaces: ['ingress-nginx'] }) }]),
    ),
  });
});

function policyOf(app: AppChart): V1NetworkPolicy {
  const policy = rendered.one<V1NetworkPolicy>('NetworkPolicy', `bdk-${app}`);
  expect([policy.spec?.policyTypes, policy.spec?.podSelector?.matchLabels]).toEqual([['Ingress'], podOf(app).labels]);
  return policy;
}

describe('NetworkPolicies', () => {
  it('are not installed unless asked', async () => {
    expect((await render('bdk')).all('NetworkPolicy')).toEqual([]);
  });

  it('let the gateway, the app’s own pods (its helm test) and the named ingress namespace reach the library-service’s REST port, and only the monitoring namespace its metrics', () => {
    expect(admitted(policyOf('library-service'))).toEqual(['gateway → http', 'library-service → http', 'an ingress controller → http', 'a Prometheus → admin']);
  });

  it('let the same reach the webhook-router’s REST port and metrics', () => {
    expect(admitted(policyOf('webhook-router'))).toEqual(['gateway → http', 'webhook-router → http', 'an ingress controller → http', 'a Prometheus → admin']);
  });

  it('let only this release’s library-service and webhook-router (and the controller’s own helm test) reach the controller’s gRPC port', () => {
    expect(admitted(policyOf('book-controller'))).toEqual([
      'library-service → grpc',
      'book-controller → grpc',
      'book-controller → admin',
      'webhook-router → grpc',
      'a Prometheus → admin',
    ]);
  });

  it('name only ports the pods declare', () => {
    for (const app of appCharts) {
      const declared = rendered.all<{ spec: { template: { spec: { containers: { ports?: { name?: string }[] }[] } } } } & { kind: string; metadata: { name: string } }>('Deployment')
        .filter((d) => d.metadata.name === `bdk-${app}`)
        .flatMap((d) => d.spec.template.spec.containers.flatMap((c) => (c.ports ?? []).map((p) => p.name)));
      const named = (policyOf(app).spec?.ingress ?? []).flatMap((r) => (r.ports ?? []).map((p) => p.port));
      expect([app, named.filter((p) => !declared.includes(String(p)))]).toEqual([app, []]);
    }
  });
});
