// What every customer namespace holds besides the books themselves, so that one organisation's books cannot
// starve or reach another's: a ResourceQuota, a LimitRange that gives every container requests and limits (a quota
// on limits refuses pods without them), and NetworkPolicies that deny all ingress but BDK's trigger traffic (and
// Tailscale's direct connections). Pod Security admission at `restricted` is the namespace's labels
// (@bdk/k8s customerNamespaceLabels). Pure builders and the settings they read.
import { bdkLabels, managedByBdk } from '@bdk/k8s';
import { ConfigError, envString } from '@bdk/service-runtime';
import type { KubernetesObject } from '@kubernetes/client-node';
import { withAppliedHash } from './applied-hash.js';

/** Name of each namespace-wide object BDK writes into a customer namespace. */
export const namespacePolicyNames = {
  quota: 'bdk-books',
  limits: 'bdk-books',
  denyIngress: 'bdk-default-deny-ingress',
  allowTriggers: 'bdk-allow-triggers',
} as const;

/** On a book pod that runs the Tailscale sidecar: its UDP port is let in for direct peer connections. */
export const tailscaleLabel = 'bdk.voyager.io/tailscale';
/** The UDP port tailscaled listens on for direct (non-relayed) connections. */
export const tailscalePort = 41641;

export interface NamespacePolicy {
  /** Hard limits of the namespace's ResourceQuota (Kubernetes quantities; `pods` a count). */
  quota: { pods: string; requestsCpu: string; requestsMemory: string; limitsCpu: string; limitsMemory: string };
  /** Requests and limits a container gets when its spec names none. */
  containerDefaults: { cpuRequest: string; memoryRequest: string; cpuLimit: string; memoryLimit: string };
  /** Where the pods that send triggers run (BDK's namespace) and the labels that select them. */
  triggerSource: { namespace: string; podLabels: Record<string, string> };
  /** The book container's port, the only one triggers reach. */
  bookPort: number;
}

const quantity = /^(\+)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$/;

function envQuantity(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const value = envString(env, name, fallback);
  if (!quantity.test(value)) throw new ConfigError(`${name} must be a Kubernetes quantity such as 500m or 2Gi, got "${value}"`);
  return value;
}

/** The namespace policy from BDK_NAMESPACE_* settings; defaults fit a few small books per customer. */
export function readNamespacePolicy(env: NodeJS.ProcessEnv, options: { bdkNamespace: string; bookPort: number }): NamespacePolicy {
  const selector = envString(env, 'BDK_TRIGGER_SOURCE_POD_LABELS', `${bdkLabels.name}=book-controller`);
  const podLabels = Object.fromEntries(
    selector.split(',').map((pair) => {
      const [key, value, ...rest] = pair.split('=');
      if (!key || value === undefined || rest.length > 0) {
        throw new ConfigError(`BDK_TRIGGER_SOURCE_POD_LABELS must be key=value pairs separated by commas, got "${selector}"`);
      }
      return [key.trim(), value.trim()];
    }),
  );
  return {
    quota: {
      pods: envQuantity(env, 'BDK_NAMESPACE_QUOTA_PODS', '50'),
      requestsCpu: envQuantity(env, 'BDK_NAMESPACE_QUOTA_REQUESTS_CPU', '10'),
      requestsMemory: envQuantity(env, 'BDK_NAMESPACE_QUOTA_REQUESTS_MEMORY', '20Gi'),
      limitsCpu: envQuantity(env, 'BDK_NAMESPACE_QUOTA_LIMITS_CPU', '20'),
      limitsMemory: envQuantity(env, 'BDK_NAMESPACE_QUOTA_LIMITS_MEMORY', '40Gi'),
    },
    containerDefaults: {
      cpuRequest: envQuantity(env, 'BDK_CONTAINER_DEFAULT_CPU_REQUEST', '100m'),
      memoryRequest: envQuantity(env, 'BDK_CONTAINER_DEFAULT_MEMORY_REQUEST', '128Mi'),
      cpuLimit: envQuantity(env, 'BDK_CONTAINER_DEFAULT_CPU_LIMIT', '1'),
      memoryLimit: envQuantity(env, 'BDK_CONTAINER_DEFAULT_MEMORY_LIMIT', '512Mi'),
    },
    triggerSource: { namespace: envString(env, 'BDK_TRIGGER_SOURCE_NAMESPACE', options.bdkNamespace), podLabels },
    bookPort: options.bookPort,
  };
}

/**
 * A namespace-wide object as sent to the apiserver: plain JSON with the API's own field names (`default`, `from`),
 * which client-node's typed models rename.
 */
export interface NamespacePolicyObject extends KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; labels: Record<string, string>; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
}

function metadata(name: string, namespace: string) {
  return { name, namespace, labels: { [bdkLabels.managedBy]: managedByBdk } };
}

export function desiredResourceQuota(namespace: string, policy: NamespacePolicy): NamespacePolicyObject {
  const { quota } = policy;
  return {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: metadata(namespacePolicyNames.quota, namespace),
    spec: {
      hard: {
        pods: quota.pods,
        'requests.cpu': quota.requestsCpu,
        'requests.memory': quota.requestsMemory,
        'limits.cpu': quota.limitsCpu,
        'limits.memory': quota.limitsMemory,
      },
    },
  };
}

export function desiredLimitRange(namespace: string, policy: NamespacePolicy): NamespacePolicyObject {
  const defaults = policy.containerDefaults;
  return {
    apiVersion: 'v1',
    kind: 'LimitRange',
    metadata: metadata(namespacePolicyNames.limits, namespace),
    spec: {
      limits: [
        {
          type: 'Container',
          defaultRequest: { cpu: defaults.cpuRequest, memory: defaults.memoryRequest },
          default: { cpu: defaults.cpuLimit, memory: defaults.memoryLimit },
        },
      ],
    },
  };
}

/**
 * Two policies, as Kubernetes composes them (the union of what each allows): every pod in the namespace denies all
 * ingress, and book pods admit triggers from BDK's trigger senders and Tailscale's UDP port on pods that run it.
 * Egress is left open: books call the customer's external systems.
 */
export function desiredNetworkPolicies(namespace: string, policy: NamespacePolicy): NamespacePolicyObject[] {
  const deny: NamespacePolicyObject = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: metadata(namespacePolicyNames.denyIngress, namespace),
    spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [] },
  };
  const allow: NamespacePolicyObject = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: metadata(namespacePolicyNames.allowTriggers, namespace),
    spec: {
      podSelector: { matchLabels: { [bdkLabels.managedBy]: managedByBdk } },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': policy.triggerSource.namespace } },
              podSelector: { matchLabels: policy.triggerSource.podLabels },
            },
          ],
          ports: [{ protocol: 'TCP', port: policy.bookPort }],
        },
      ],
    },
  };
  const tailscale: NamespacePolicyObject = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: metadata(`${namespacePolicyNames.allowTriggers}-tailscale`, namespace),
    spec: {
      podSelector: { matchLabels: { [tailscaleLabel]: 'true' } },
      policyTypes: ['Ingress'],
      ingress: [{ ports: [{ protocol: 'UDP', port: tailscalePort }] }],
    },
  };
  return [deny, allow, tailscale];
}

/** Every namespace-wide object a customer namespace should hold. */
export function desiredNamespacePolicy(namespace: string, policy: NamespacePolicy): NamespacePolicyObject[] {
  return [desiredResourceQuota(namespace, policy), desiredLimitRange(namespace, policy), ...desiredNetworkPolicies(namespace, policy)].map(withAppliedHash);
}
