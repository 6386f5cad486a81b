// @bdk/k8s: Kubernetes helpers and BDK's custom resource types (derived from the CRDs in charts/bdk/crds).
export * from './gen/crds.js';
export { bdkResources, customResourceClient, isConflict, isNotFound, kubeStatusCode, resourcePath } from './custom-resources.js';
export type { BdkResources, CustomResourceClient, ResourceType } from './custom-resources.js';
export {
  customerNamespaceLabels,
  decideNamespace,
  podSecurityLabels,
  reservedNamespace,
  validOrganizationId,
  type NamespaceDecision,
  type RefusalReason,
} from './customer-namespaces.js';
export { bookObjectNameOf } from './book-refs.js';
export {
  followsRange,
  highestMatching,
  isExactVersion,
  isValidVersionRange,
  isVersionRange,
  resolveRange,
  type Resolution,
} from './book-versions.js';
export { bookInUseFinalizer, describeHolders, holdersOf, holdsBook, nameHolders, namedHoldersLimit } from './book-in-use.js';
export { webhookIntegrationFor, type BookIntegration } from './integrations.js';
export { loadKubeConfig } from './kube-config.js';
export { bookIdOf, instanceIdOf } from './object-ids.js';
export { customResourceInformer } from './custom-resource-informer.js';
// The informer itself is generic and lives in @bdk/controller-runtime; customResourceInformer returns one.
export { RestartingInformer, type RestartingInformerOptions, type WarningLog } from '@bdk/controller-runtime';
export {
  bdkAnnotations,
  bdkLabels,
  instanceCleanupFinalizer,
  instanceObjectMetadata,
  instanceRef,
  labelSelector,
  managedByBdk,
  secretPurposes,
} from './labels.js';
export {
  bookDefinitionName,
  bookInstanceName,
  bookWorkloadName,
  credentialEnvName,
  credentialSecretKey,
  credentialsSecretName,
  webhookSigningSecretName,
} from './names.js';
export {
  createTokenReviewer,
  ensureServiceAccount,
  requestServiceAccountToken,
  serviceAccountUsername,
  tokenFileSource,
  type ServiceAccountIdentity,
  type ServiceAccountTokenRequest,
  type TokenReviewer,
  type TokenReviewerOptions,
} from './service-account-tokens.js';
