import { Code, ConnectError, type Interceptor } from '@connectrpc/connect';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** gRPC's canonical code names (NOT_FOUND), as grpc-ecosystem's server metrics label them. */
function grpcCodeName(code: Code | 0): string {
  return code === 0 ? 'OK' : Code[code].replaceAll(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
}

export interface ServiceMetrics {
  readonly registry: Registry;
  /** Counts and times every RPC by service, method and outcome. */
  readonly interceptor: Interceptor;
}

/**
 * A registry per process with Node's default metrics (CPU, memory, event-loop lag, GC) and the gRPC server
 * metrics dashboards for grpc-ecosystem's interceptors already understand.
 */
export function createServiceMetrics(service: string): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  const labelNames = ['grpc_service', 'grpc_method', 'grpc_code'] as const;
  const handled = new Counter({ name: 'grpc_server_handled_total', help: 'RPCs completed on the server, by outcome.', labelNames, registers: [registry] });
  const seconds = new Histogram({
    name: 'grpc_server_handling_seconds',
    help: 'Time from request to response (for streams: to the first response), by outcome.',
    labelNames,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  const interceptor: Interceptor = (next) => async (request) => {
    const started = process.hrtime.bigint();
    const record = (code: Code | 0) => {
      const labels = { grpc_service: request.service.typeName, grpc_method: request.method.name, grpc_code: grpcCodeName(code) };
      handled.inc(labels);
      seconds.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    };
    try {
      const response = await next(request);
      record(0);
      return response;
    } catch (error) {
      record(ConnectError.from(error).code);
      throw error;
    }
  };
  return { registry, interceptor };
}
