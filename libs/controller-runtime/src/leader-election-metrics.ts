// client-go's leader-election gauge, under its name and help, so existing dashboards and alerts read it.
import { Gauge, type Registry } from 'prom-client';

export class LeaderElectionMetrics {
  private readonly status = new Gauge({
    name: 'leader_election_master_status',
    help: "Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master. 'name' is the string used to identify the lease. Please make sure to group by name.",
    labelNames: ['name'] as const,
    registers: [],
  });

  register(registry: Registry): void {
    registry.registerMetric(this.status);
  }

  /** Whether this process holds the Lease `name` now. */
  leading(name: string, isLeader: boolean): void {
    this.status.set({ name }, isLeader ? 1 : 0);
  }
}
