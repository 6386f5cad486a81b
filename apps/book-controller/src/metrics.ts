// The controller's own Prometheus metrics, registered on the service's registry (served on /metrics).
import { Counter, Histogram, type Registry } from 'prom-client';

export interface ReconcileMetrics {
  observe(controller: string, result: 'success' | 'requeue' | 'error', seconds: number): void;
  register(registry: Registry): void;
}

export function createReconcileMetrics(): ReconcileMetrics {
  const labelNames = ['controller', 'result'] as const;
  const total = new Counter({ name: 'bdk_controller_reconcile_total', help: 'Reconciles by controller and outcome.', labelNames, registers: [] });
  const seconds = new Histogram({
    name: 'bdk_controller_reconcile_seconds',
    help: 'Time per reconcile, by controller and outcome.',
    labelNames,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [],
  });
  return {
    observe(controller, result, duration) {
      total.inc({ controller, result });
      seconds.observe({ controller, result }, duration);
    },
    register(registry) {
      registry.registerMetric(total);
      registry.registerMetric(seconds);
    },
  };
}
