// The status a BookInstanceDefinition should report, computed from what the reconcile observed. Pure, so the
// rules (phase, conditions, when last_transition moves) are unit-tested without an apiserver.
import { bdkLabels, type BookInstanceDefinition, type BookInstanceDefinitionStatus } from '@bdk/k8s';
import type { V1Deployment } from '@kubernetes/client-node';
import { jsonEqual } from '../runtime/object-compare.js';
import { ConditionReason, ConditionType } from './conditions.js';
import { instanceIdOf, type InstanceIdentity } from './desired-objects.js';

export type Condition = NonNullable<BookInstanceDefinitionStatus['conditions']>[number];
export type Phase = NonNullable<BookInstanceDefinitionStatus['phase']>;

/** One condition as a step of the reconcile found it; last_transition and observedGeneration are filled in here. */
export interface Observation {
  status: Condition['status'];
  reason: ConditionReason;
  message: string;
}

export interface StatusInput {
  instance: BookInstanceDefinition;
  /** Instance and book ids; undefined when the BookDefinition could not be read (ids then come from the labels). */
  identity?: Pick<InstanceIdentity, 'instanceId' | 'bookId'>;
  book: Observation;
  /** Whether BDK may write into the customer namespace; undefined when not checked (the book is missing). */
  namespace?: Observation;
  /** undefined when the reconcile did not get as far as checking them (the book is missing). */
  credentials?: Observation;
  /** The book Deployment as the apiserver last reported it, if it exists. */
  deployment?: V1Deployment;
  now: Date;
}

/** Whether every replica of the Deployment's current spec is ready. */
export function deploymentReady(deployment: V1Deployment): boolean {
  const replicas = deployment.spec?.replicas ?? 1;
  const status = deployment.status ?? {};
  return (status.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0) && (status.readyReplicas ?? 0) === replicas;
}

export function observeDeployment(deployment: V1Deployment | undefined): Observation {
  if (!deployment) {
    return { status: 'Unknown', reason: ConditionReason.DeploymentNotCreated, message: 'the book Deployment does not exist yet' };
  }
  const replicas = deployment.spec?.replicas ?? 1;
  const ready = deployment.status?.readyReplicas ?? 0;
  if ((deployment.status?.observedGeneration ?? 0) < (deployment.metadata?.generation ?? 0)) {
    return { status: 'False', reason: ConditionReason.DeploymentProgressing, message: 'the Deployment controller has not yet observed the latest spec' };
  }
  if (deploymentReady(deployment)) {
    return { status: 'True', reason: ConditionReason.ReplicasReady, message: `${ready}/${replicas} replicas ready` };
  }
  return { status: 'False', reason: ConditionReason.ReplicasNotReady, message: `${ready}/${replicas} replicas ready` };
}

function phaseOf(input: StatusInput, deployment: Observation): Phase {
  if (input.book.status !== 'True') return 'Failed';
  // Nothing is written into a namespace BDK may not use, so the instance cannot come up by waiting.
  if (input.namespace && input.namespace.status !== 'True') return 'Failed';
  if (deployment.status === 'True') return 'Ready';
  // Once ready, a deployment that falls behind (a rollout, a scale-up) is updating, not new.
  const previous = input.instance.status?.phase;
  return previous === 'Ready' || previous === 'Updating' ? 'Updating' : 'Pending';
}

/**
 * Sets a condition, keeping last_transition when the status did not flip (the API's contract: it records when
 * the status changed, not when it was last written).
 */
export function setCondition(conditions: readonly Condition[], type: string, observation: Observation, generation: number, now: Date): Condition[] {
  const previous = conditions.find((c) => c.type === type);
  const next: Condition = {
    type,
    status: observation.status,
    reason: observation.reason,
    message: observation.message,
    observedGeneration: generation,
    last_transition: previous && previous.status === observation.status ? previous.last_transition : now.toISOString(),
  };
  return previous ? conditions.map((c) => (c.type === type ? next : c)) : [...conditions, next];
}

/** The status the instance should have; last_updated is the only field that says when it was computed. */
export function desiredStatus(input: StatusInput): BookInstanceDefinitionStatus {
  const { instance, now } = input;
  const generation = instance.metadata.generation ?? 0;
  const deployment = observeDeployment(input.deployment);
  let conditions = instance.status?.conditions ?? [];
  conditions = setCondition(conditions, ConditionType.BookResolved, input.book, generation, now);
  if (input.namespace) conditions = setCondition(conditions, ConditionType.NamespaceAvailable, input.namespace, generation, now);
  if (input.credentials) conditions = setCondition(conditions, ConditionType.CredentialsAvailable, input.credentials, generation, now);
  conditions = setCondition(conditions, ConditionType.DeploymentReady, deployment, generation, now);
  return {
    phase: phaseOf(input, deployment),
    observedGeneration: generation,
    book_id: input.identity?.bookId ?? instance.metadata.labels?.[bdkLabels.bookId],
    instance_id: input.identity?.instanceId ?? instanceIdOf(instance),
    deployment_status: {
      ready_replicas: input.deployment?.status?.readyReplicas ?? 0,
      total_replicas: input.deployment?.status?.replicas ?? 0,
    },
    conditions,
    last_updated: now.toISOString(),
  };
}

/** The observation that makes the phase Failed, for the Event that reports it. */
export function failure(input: Pick<StatusInput, 'book' | 'namespace'>): Observation | undefined {
  if (input.book.status !== 'True') return input.book;
  if (input.namespace && input.namespace.status !== 'True') return input.namespace;
  return undefined;
}

/** Whether writing `desired` would change anything but last_updated. */
export function statusChanged(current: BookInstanceDefinitionStatus | undefined, desired: BookInstanceDefinitionStatus): boolean {
  const withoutTimestamp = (status: BookInstanceDefinitionStatus | undefined) => ({ ...status, last_updated: undefined });
  return !jsonEqual(withoutTimestamp(current), withoutTimestamp(desired));
}
