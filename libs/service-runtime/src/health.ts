import type { ConnectRouter, ServiceImpl } from '@connectrpc/connect';
import { Code, ConnectError } from '@connectrpc/connect';
import { health } from '@bdk/proto';
import { EventEmitter, on } from 'node:events';

const { HealthCheckResponse_ServingStatus: ServingStatus } = health;
type ServingStatus = health.HealthCheckResponse_ServingStatus;

/**
 * grpc.health.v1.Health with a status per service name; "" is the whole server. Kubernetes' gRPC probes and
 * grpc_health_probe ask for "", clients may ask for a service such as "bdk.v1.BookLibraryService".
 */
export class HealthRegistry {
  private readonly statuses = new Map<string, ServingStatus>([['', ServingStatus.SERVING]]);
  private readonly changes = new EventEmitter();

  set(service: string, status: ServingStatus): void {
    if (this.statuses.get(service) === status) return;
    this.statuses.set(service, status);
    this.changes.emit('change', service);
  }

  /** Everything NOT_SERVING: at the start of a graceful shutdown, or while a service is still warming up. */
  drain(): void {
    for (const service of this.statuses.keys()) this.set(service, ServingStatus.NOT_SERVING);
  }

  /** Everything SERVING again: a service that started NOT_SERVING is ready. */
  serveAll(): void {
    for (const service of this.statuses.keys()) this.set(service, ServingStatus.SERVING);
  }

  status(service: string): ServingStatus | undefined {
    return this.statuses.get(service);
  }

  register(router: ConnectRouter): void {
    router.service(health.Health, this.impl());
  }

  private impl(): ServiceImpl<typeof health.Health> {
    const statuses = this.statuses;
    const changes = this.changes;
    return {
      check: ({ service }) => {
        const status = this.statuses.get(service);
        if (status === undefined) throw new ConnectError(`unknown service ${service}`, Code.NotFound);
        return { status };
      },
      list: () => ({ statuses: Object.fromEntries([...this.statuses].map(([name, status]) => [name, { status }])) }),
      async *watch({ service }, context) {
        yield { status: statuses.get(service) ?? ServingStatus.SERVICE_UNKNOWN };
        for await (const [changed] of on(changes, 'change', { signal: context.signal })) {
          if (changed === service) yield { status: statuses.get(service) ?? ServingStatus.SERVICE_UNKNOWN };
        }
      },
    };
  }
}

export { ServingStatus };
