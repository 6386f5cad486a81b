// Condition types and reasons the controller writes on a BookInstanceDefinition's status, and the Event reasons
// it records. One place, so dashboards, alerts and the API can rely on the names.

export const ConditionType = {
  /** The BookDefinition named by spec.bookRef exists and has the requested version. */
  BookResolved: 'BookResolved',
  /** Every credential's Secret and key exist in the customer namespace. */
  CredentialsAvailable: 'CredentialsAvailable',
  /** The book Deployment has all its replicas ready at its current generation. */
  DeploymentReady: 'DeploymentReady',
} as const;
export type ConditionType = (typeof ConditionType)[keyof typeof ConditionType];

export const ConditionReason = {
  BookFound: 'BookFound',
  BookNotFound: 'BookNotFound',
  BookVersionMismatch: 'BookVersionMismatch',
  NoCredentials: 'NoCredentials',
  SecretsFound: 'SecretsFound',
  SecretNotFound: 'SecretNotFound',
  SecretKeyMissing: 'SecretKeyMissing',
  ReplicasReady: 'ReplicasReady',
  ReplicasNotReady: 'ReplicasNotReady',
  /** The Deployment controller has not yet seen the Deployment's latest spec. */
  DeploymentProgressing: 'DeploymentProgressing',
  DeploymentNotCreated: 'DeploymentNotCreated',
} as const;
export type ConditionReason = (typeof ConditionReason)[keyof typeof ConditionReason];

/** Reasons of the Kubernetes Events recorded on a BookInstanceDefinition. */
export const EventReason = {
  /** Children in the customer namespace were created or changed. */
  Applied: 'Applied',
  BookNotFound: 'BookNotFound',
  Ready: 'Ready',
  NotReady: 'NotReady',
  CleanedUp: 'CleanedUp',
} as const;
export type EventReason = (typeof EventReason)[keyof typeof EventReason];
