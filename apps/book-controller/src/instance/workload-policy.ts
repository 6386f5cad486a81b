// The operator's settings for the workloads the controller makes, read once at start-up.
import { ConfigError, envString } from '@bdk/service-runtime';
import { readNamespacePolicy, type NamespacePolicy } from './namespace-policy.js';

/** How the controller shapes workloads beyond what an instance says. */
export interface WorkloadPolicy {
  namespace: NamespacePolicy;
  /** progressDeadlineSeconds of every book Deployment: how long a rollout may stall before it is rolled back. */
  progressDeadlineSeconds: number;
  /** Where shared workloads run (one Deployment per book version for every instance of type shared). */
  sharedNamespace: string;
}

export function readWorkloadPolicy(env: NodeJS.ProcessEnv, options: { bdkNamespace: string; bookPort: number }): WorkloadPolicy {
  const raw = env['BDK_PROGRESS_DEADLINE_SECONDS'];
  const progressDeadlineSeconds = raw === undefined || raw === '' ? 600 : Number(raw);
  if (!Number.isInteger(progressDeadlineSeconds) || progressDeadlineSeconds < 1) {
    throw new ConfigError(`BDK_PROGRESS_DEADLINE_SECONDS must be a positive whole number of seconds, got "${raw}"`);
  }
  const sharedNamespace = envString(env, 'BDK_SHARED_NAMESPACE', 'bdk-shared');
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(sharedNamespace) || sharedNamespace.length > 63) {
    throw new ConfigError(`BDK_SHARED_NAMESPACE must be a namespace name (a DNS label), got "${sharedNamespace}"`);
  }
  return { namespace: readNamespacePolicy(env, options), progressDeadlineSeconds, sharedNamespace };
}
