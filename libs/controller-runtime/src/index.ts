// @bdk/controller-runtime: the generic machinery of a Kubernetes controller, after client-go and
// controller-runtime: list+watch caches that restart themselves, a rate-limited work queue with metrics, the
// reconcile loop, leader election on a Lease, and helpers to compare desired with observed objects.
export { Controller, type ControllerOptions, type ReconcileResult, type Reconciler } from './controller.js';
export { LeaderElectionMetrics } from './leader-election-metrics.js';
export { leaderIdentity, LeaderElector, type LeaderElectorOptions } from './leader-elector.js';
export { containsDesired, contentHash, jsonEqual, stableJson } from './object-compare.js';
export { dropManagedFields, RestartingInformer, type RestartingInformerOptions, type WarningLog } from './restarting-informer.js';
export type { RuntimeLogger } from './runtime-logger.js';
export { TokenBucket } from './token-bucket.js';
export { WorkQueue, type WorkQueueOptions } from './work-queue.js';
export { WorkQueueMetrics, type WorkQueueGauges, type WorkQueueRecorder } from './work-queue-metrics.js';
