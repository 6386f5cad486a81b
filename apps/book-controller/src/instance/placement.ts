// Where an instance's book runs, by deployment type:
// - primary: a Deployment of its own in the customer namespace.
// - secondary: the same, beside the primary of the same book in the same customer namespace and organisation;
//   it takes the primary's triggers while the primary is not Ready (failoverTarget), so a staged update moves the
//   secondary to the new version first and the primary after it.
// - shared: one Deployment per book version in BDK's shared namespace serves every shared instance of that
//   version. Its pods hold no customer's credentials or settings: each trigger carries those of the one instance
//   it is for. The customer namespace keeps the instance's Secrets and its ExternalBookDefinition.
// Pure: the reconcile, the caches and DispatchTrigger all ask here.
import { bdkLabels, type BookInstanceDefinition } from '@bdk/k8s';
import { createHash } from 'node:crypto';
import { instanceIdOf, organizationIdOf } from './desired-objects.js';

export type DeploymentType = 'primary' | 'secondary' | 'shared';

/** On every child of an instance: its deployment type. */
export const deploymentTypeLabel = 'bdk.voyager.io/deployment-type';
/** On the shared workload's objects and Pods: the workload's name (its selector). */
export const sharedWorkloadLabel = 'bdk.voyager.io/shared-workload';

export function deploymentTypeOf(instance: BookInstanceDefinition): DeploymentType {
  return instance.spec.deployment?.type ?? 'primary';
}

/**
 * The shared workload of a book version: `<book object>-<version>-shared` when that is a DNS label, else cut and
 * made unique with a hash (names are at most 63 characters).
 */
export function sharedWorkloadName(bookRefName: string, version: string): string {
  const plain = `${bookRefName}-${version.toLowerCase().replace(/[^a-z0-9-]/g, '-')}-shared`;
  if (plain.length <= 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(plain)) return plain;
  const hash = createHash('sha256').update(`${bookRefName}@${version}`).digest('hex').slice(0, 10);
  return `${bookRefName.slice(0, 63 - hash.length - 8).replace(/-+$/, '')}-${hash}-shared`;
}

/** The shared workload an instance of type shared uses; undefined for the other types. */
export function sharedWorkloadOf(instance: BookInstanceDefinition): string | undefined {
  if (deploymentTypeOf(instance) !== 'shared') return undefined;
  return sharedWorkloadName(instance.spec.bookRef.name, instance.spec.bookRef.version);
}

function sameBookAndCustomer(a: BookInstanceDefinition, b: BookInstanceDefinition): boolean {
  return (
    a.spec.bookRef.name === b.spec.bookRef.name &&
    a.spec.customer.namespace === b.spec.customer.namespace &&
    organizationIdOf(a) === organizationIdOf(b) &&
    a.metadata.namespace === b.metadata.namespace
  );
}

const live = (instance: BookInstanceDefinition) => !instance.metadata.deletionTimestamp;
// A cached object's timestamps are Dates (from a list) or strings (from a watch event).
const created = (instance: BookInstanceDefinition) => new Date(instance.metadata.creationTimestamp ?? 0).getTime();

/** The primary a secondary stands beside: the same book in the same customer namespace and organisation. */
export function primaryOf(secondary: BookInstanceDefinition, instances: readonly BookInstanceDefinition[]): BookInstanceDefinition | undefined {
  return instances.find((other) => live(other) && deploymentTypeOf(other) === 'primary' && sameBookAndCustomer(other, secondary));
}

export function instanceReady(instance: BookInstanceDefinition): boolean {
  return instance.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/**
 * Which instance takes a trigger addressed to `target`: itself, unless it is a primary that is not Ready and one
 * of its secondaries is (the oldest, so the choice is stable).
 */
export function failoverTarget(target: BookInstanceDefinition, instances: readonly BookInstanceDefinition[]): BookInstanceDefinition {
  if (deploymentTypeOf(target) !== 'primary' || instanceReady(target)) return target;
  const standby = instances
    .filter((other) => live(other) && deploymentTypeOf(other) === 'secondary' && sameBookAndCustomer(other, target) && instanceReady(other))
    .sort((a, b) => created(a) - created(b) || instanceIdOf(a).localeCompare(instanceIdOf(b)));
  return standby[0] ?? target;
}

/** The shared instances that use one shared workload (live ones: a deleting instance no longer counts). */
export function sharingInstances(workload: string, instances: readonly BookInstanceDefinition[]): BookInstanceDefinition[] {
  return instances.filter((instance) => live(instance) && sharedWorkloadOf(instance) === workload);
}

/** The label an instance's own children carry to say how it is deployed. */
export function deploymentTypeLabels(instance: BookInstanceDefinition): Record<string, string> {
  return { [deploymentTypeLabel]: deploymentTypeOf(instance) };
}

/** Selects the objects of one shared workload. */
export function sharedWorkloadSelector(workload: string): Record<string, string> {
  return { [sharedWorkloadLabel]: workload, [bdkLabels.managedBy]: 'bdk' };
}
