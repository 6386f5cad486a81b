// The controller's own Prometheus metrics, registered on the service's registry (served on /metrics): reconciles
// by outcome, and @bdk/controller-runtime's work-queue and leader-election metrics under client-go's names.
import { LeaderElectionMetrics, WorkQueueMetrics } from '@bdk/controller-runtime';
import { Counter, Histogram, type Registry } from 'prom-client';

export interface ControllerMetrics {
  observe(controller: string, result: 'success' | 'requeue' | 'error', seconds: number): void;
  /** For the controller's WorkQueue: workqueue_* by queue name. */
  readonly workQueue: WorkQueueMetrics;
  /** For the LeaderElector: leader_election_master_status by Lease name. */
  readonly leaderElection: LeaderElectionMetrics;
  register(registry: Registry): void;
}

export function createControllerMetrics(): ControllerMetrics {
  const labelNames = ['controller', 'result'] as const;
  const total = new Counter({ name: 'bdk_controller_reconcile_total', help: 'Reconciles by controller and outcome.', labelNames, registers: [] });
  const seconds = new Histogram({
    name: 'bdk_controller_reconcile_seconds',
    help: 'Time per reconcile, by controller and outcome.',
    labelNames,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [],
  });
  const workQueue = new WorkQueueMetrics();
  const leaderElection = new LeaderElectionMetrics();
  return {
    observe(controller, result, duration) {
      total.inc({ controller, result });
      seconds.observe({ controller, result }, duration);
    },
    workQueue,
    leaderElection,
    register(registry) {
      registry.registerMetric(total);
      registry.registerMetric(seconds);
      workQueue.register(registry);
      leaderElection.register(registry);
    },
  };
}
