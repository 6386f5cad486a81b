// Condition types and reasons the controller writes on a BookInstanceDefinition's status, and the Event reasons
// it records. One place, so dashboards, alerts and the API can rely on the names.

export const ConditionType = {
  /** The BookDefinition named by spec.bookRef exists and has the requested version, or a range resolved to one. */
  BookResolved: 'BookResolved',
  /** The customer namespace is one BDK may write into for the instance's organisation. */
  NamespaceAvailable: 'NamespaceAvailable',
  /** Every credential's Secret and key exist in the customer namespace. */
  CredentialsAvailable: 'CredentialsAvailable',
  /** Every wanted replica of the book runs the Deployment's current template and its Pod is Ready. */
  DeploymentReady: 'DeploymentReady',
  /**
   * The summary: the instance runs its current spec and can take triggers. What `kubectl wait --for=condition=Ready`
   * and GitOps tools read; its reason is the first thing that stands in the way.
   */
  Ready: 'Ready',
  /** On a BookDefinition being deleted: the instances that still run it, which keep it until they are gone. */
  InUse: 'InUse',
} as const;
export type ConditionType = (typeof ConditionType)[keyof typeof ConditionType];

export const ConditionReason = {
  BookFound: 'BookFound',
  BookNotFound: 'BookNotFound',
  BookVersionMismatch: 'BookVersionMismatch',
  /** The pinned version is withdrawn and the instance was not running it: it is not deployed. */
  BookWithdrawn: 'BookWithdrawn',
  /** spec.bookRef.version is a range and no published version of the book matches it (see resolveRange in @bdk/k8s). */
  NoMatchingVersion: 'NoMatchingVersion',
  /** The customer namespace is managed by BDK for the instance's organisation (or was just created for it). */
  NamespaceOwned: 'NamespaceOwned',
  /** The customer namespace exists and is not BDK's, or is another organisation's: nothing is written into it. */
  NamespaceNotOwned: 'NamespaceNotOwned',
  /** The customer namespace is the cluster's (kube-*, default) or BDK's own. */
  NamespaceReserved: 'NamespaceReserved',
  /** The instance's organisation id cannot be recorded as a label, so no namespace can be marked as its. */
  OrganizationInvalid: 'OrganizationInvalid',
  NoCredentials: 'NoCredentials',
  SecretsFound: 'SecretsFound',
  SecretNotFound: 'SecretNotFound',
  SecretKeyMissing: 'SecretKeyMissing',
  ReplicasReady: 'ReplicasReady',
  ReplicasNotReady: 'ReplicasNotReady',
  /** The Deployment controller has not yet seen the Deployment's latest spec. */
  DeploymentProgressing: 'DeploymentProgressing',
  DeploymentNotCreated: 'DeploymentNotCreated',
  /** The Deployment controller gave up on the rollout: no progress within progressDeadlineSeconds. */
  ProgressDeadlineExceeded: 'ProgressDeadlineExceeded',
  /** A container of the current template keeps crashing. */
  CrashLoopBackOff: 'CrashLoopBackOff',
  /** The rollout of the current spec failed and the book runs the template that ran before it. */
  RolledBack: 'RolledBack',
  /** The rollout of the current spec failed and there is no earlier template to go back to. */
  RolloutFailed: 'RolloutFailed',
  /** Ready: every condition above holds. */
  InstanceReady: 'InstanceReady',
  /** spec.suspended: the instance runs no Pods and its webhooks are held. */
  Suspended: 'Suspended',
  /** A BookDefinition being deleted is held by instances that run it (condition InUse). */
  InstancesExist: 'InstancesExist',
} as const;
export type ConditionReason = (typeof ConditionReason)[keyof typeof ConditionReason];

/** Reasons of the Kubernetes Events recorded on a BookInstanceDefinition. */
export const EventReason = {
  /** Children in the customer namespace were created or changed. */
  Applied: 'Applied',
  BookNotFound: 'BookNotFound',
  /** An instance of a withdrawn book version was applied without the API: it is Failed and not deployed. */
  BookWithdrawn: 'BookWithdrawn',
  Ready: 'Ready',
  NotReady: 'NotReady',
  CleanedUp: 'CleanedUp',
  /** A rollout failed and the Deployment was put back on its previous template (the message names both). */
  RolledBack: 'RolledBack',
  /** A rollout failed with nothing to roll back to. */
  RolloutFailed: 'RolloutFailed',
  /** The instance was suspended: its Pods stop and its webhooks are held. */
  Suspended: 'Suspended',
  /** The customer namespace may not be written into (the message says why). */
  NamespaceNotOwned: 'NamespaceNotOwned',
  NamespaceReserved: 'NamespaceReserved',
  OrganizationInvalid: 'OrganizationInvalid',
  /** StoreInstanceSecrets wrote credential values (the message names the credentials and the actor). */
  CredentialsWritten: 'CredentialsWritten',
  /** StoreInstanceSecrets wrote webhook signing secrets (the message names the sources and the actor). */
  WebhookSecretRotated: 'WebhookSecretRotated',
} as const;
export type EventReason = (typeof EventReason)[keyof typeof EventReason];
