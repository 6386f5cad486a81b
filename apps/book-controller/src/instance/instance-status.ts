// The status a BookInstanceDefinition should report, computed from what the reconcile observed. Pure, so the
// rules (phase, conditions, when a transition time moves) are unit-tested without an apiserver.
import { bdkLabels, type BookDefinition, type BookInstanceDefinition, type BookInstanceDefinitionStatus } from '@bdk/k8s';
import { jsonEqual } from '@bdk/controller-runtime';
import { ConditionReason, ConditionType } from './conditions.js';
import { instanceIdOf, type InstanceIdentity } from './desired-objects.js';
import type { RollbackRecord } from './rollback.js';
import type { RolloutHealth } from './rollout-health.js';

export type Condition = NonNullable<BookInstanceDefinitionStatus['conditions']>[number];
export type Phase = NonNullable<BookInstanceDefinitionStatus['phase']>;

/** One condition as a step of the reconcile found it; transition times and observedGeneration are filled in here. */
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
  /** The book's rollout as its Deployment, ReplicaSets and Pods show it. */
  rollout: RolloutHealth;
  /** Set while the book runs an earlier template because the current spec failed to roll out. */
  rollback?: RollbackRecord;
  /** The BookDefinition the instance runs (its exact pin, or what its range resolved to); undefined when none. */
  resolvedBook?: Pick<BookDefinition, 'metadata' | 'spec'>;
  /** spec.suspended: phase Suspended, whatever the workload says. */
  suspended?: boolean;
  now: Date;
}

/** Why the instance cannot come up by waiting, if it cannot: the observation that makes the phase Failed. */
export function failure(input: Pick<StatusInput, 'book' | 'namespace' | 'rollout' | 'rollback'>): Observation | undefined {
  if (input.book.status !== 'True') return input.book;
  // Nothing is written into a namespace BDK may not use.
  if (input.namespace && input.namespace.status !== 'True') return input.namespace;
  if (input.rollback) {
    return {
      status: 'False',
      reason: ConditionReason.RolledBack,
      message: `the rollout of the current spec failed (${input.rollback.reason ?? ''}); the book runs revision ${input.rollback.revision ?? ''}, the template before it, until the spec changes`,
    };
  }
  if (input.rollout.failure) {
    return { status: 'False', reason: ConditionReason.RolloutFailed, message: `${input.rollout.failure.message}; there is no earlier template to roll back to` };
  }
  return undefined;
}

function phaseOf(input: StatusInput): Phase {
  if (failure(input)) return 'Failed';
  if (input.suspended) return 'Suspended';
  if (input.rollout.observation.status === 'True') return 'Ready';
  // Once ready, a deployment that falls behind (a rollout, a scale-up) is updating, not new.
  const previous = input.instance.status?.phase;
  return previous === 'Ready' || previous === 'Updating' ? 'Updating' : 'Pending';
}

/** The summary condition: True in phase Ready, otherwise the first thing that stands in the way. */
function readiness(input: StatusInput, phase: Phase): Observation {
  if (phase === 'Ready') return { status: 'True', reason: ConditionReason.InstanceReady, message: 'the book runs the current spec and every replica is ready' };
  if (phase === 'Suspended') return { status: 'False', reason: ConditionReason.Suspended, message: 'suspended: no Pods run and webhooks are held until it resumes' };
  const blocking = failure(input) ?? [input.credentials, input.rollout.observation].find((o) => o && o.status !== 'True') ?? input.rollout.observation;
  return { status: 'False', reason: blocking.reason, message: blocking.message };
}

/**
 * Sets a condition, keeping its transition time when the status did not flip (the contract: it records when the
 * status changed, not when it was last written). The time is written twice: `last_transition` (the API's name)
 * and `lastTransitionTime` (the name Kubernetes tools read).
 */
export function setCondition(conditions: readonly Condition[], type: string, observation: Observation, generation: number, now: Date): Condition[] {
  const previous = conditions.find((c) => c.type === type);
  const transition = previous && previous.status === observation.status ? (previous.last_transition ?? now.toISOString()) : now.toISOString();
  const next: Condition = {
    type,
    status: observation.status,
    reason: observation.reason,
    message: observation.message,
    observedGeneration: generation,
    last_transition: transition,
    lastTransitionTime: transition,
  };
  return previous ? conditions.map((c) => (c.type === type ? next : c)) : [...conditions, next];
}

/**
 * What the instance runs. Without a book now (none matches, or the pinned one is gone) the last resolution stays:
 * the workload still runs it, and it keeps that BookDefinition from being deleted.
 */
function resolution(input: StatusInput): Pick<BookInstanceDefinitionStatus, 'resolved_version' | 'resolved_book'> {
  const book = input.resolvedBook;
  if (book) return { resolved_version: book.spec.version, resolved_book: book.metadata.name ?? '' };
  const { resolved_version, resolved_book } = input.instance.status ?? {};
  return { ...(resolved_version ? { resolved_version } : {}), ...(resolved_book ? { resolved_book } : {}) };
}

/** The status the instance should have; last_updated is the only field that says when it was computed. */
export function desiredStatus(input: StatusInput): BookInstanceDefinitionStatus {
  const { instance, now } = input;
  const generation = instance.metadata.generation ?? 0;
  const phase = phaseOf(input);
  let conditions = instance.status?.conditions ?? [];
  conditions = setCondition(conditions, ConditionType.BookResolved, input.book, generation, now);
  if (input.namespace) conditions = setCondition(conditions, ConditionType.NamespaceAvailable, input.namespace, generation, now);
  if (input.credentials) conditions = setCondition(conditions, ConditionType.CredentialsAvailable, input.credentials, generation, now);
  conditions = setCondition(conditions, ConditionType.DeploymentReady, input.rollout.observation, generation, now);
  conditions = setCondition(conditions, ConditionType.Ready, readiness(input, phase), generation, now);
  return {
    phase,
    observedGeneration: generation,
    book_id: input.identity?.bookId ?? instance.metadata.labels?.[bdkLabels.bookId],
    instance_id: input.identity?.instanceId ?? instanceIdOf(instance),
    deployment_status: { ready_replicas: input.rollout.readyPods, total_replicas: input.rollout.totalPods },
    conditions,
    ...(input.rollback ? { rollback: input.rollback } : {}),
    ...resolution(input),
    last_updated: now.toISOString(),
  };
}

/** Whether writing `desired` would change anything but last_updated. */
export function statusChanged(current: BookInstanceDefinitionStatus | undefined, desired: BookInstanceDefinitionStatus): boolean {
  const withoutTimestamp = (status: BookInstanceDefinitionStatus | undefined) => ({ ...status, last_updated: undefined });
  return !jsonEqual(withoutTimestamp(current), withoutTimestamp(desired));
}
