// A whole service process's servers on loopback: RPCs are counted in Prometheus metrics by outcome, and the
// admin endpoints answer the kubelet's probes, readiness turning false when the service drains.
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { afterEach, describe, expect, it } from '@jest/globals';
import { BookControllerService, health } from '@bdk/proto';
import { startService, type RunningService } from '../src/index.js';

let service: RunningService | undefined;

afterEach(async () => {
  await service?.close();
  service = undefined;
});

async function start() {
  service = await startService({
    name: 'metrics-test',
    env: { GRPC_HOST: '127.0.0.1', GRPC_PORT: '0', ADMIN_PORT: '0', LOG_LEVEL: 'error' },
    routes(router) {
      router.service(BookControllerService, { dispatchTrigger: () => ({ results: [] }) });
    },
  });
  return service;
}

const admin = (path: string) => fetch(`http://127.0.0.1:${service?.admin.port}${path}`);

describe('startService', () => {
  it('counts RPCs by service, method and gRPC code on /metrics', async () => {
    const { grpc } = await start();
    const transport = createGrpcTransport({ baseUrl: `http://127.0.0.1:${grpc.port}` });
    const controller = createClient(BookControllerService, transport);
    await controller.dispatchTrigger({ webhookId: 'w-1', source: 'github' });
    await controller.dispatchTrigger({ webhookId: 'w-2', source: 'github' });
    await expect(createClient(health.Health, transport).check({ service: 'nope' })).rejects.toThrow();

    const response = await admin('/metrics');
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain(
      'grpc_server_handled_total{grpc_service="bdk.v1.BookControllerService",grpc_method="DispatchTrigger",grpc_code="OK",service="metrics-test"} 2',
    );
    expect(text).toContain('grpc_server_handled_total{grpc_service="grpc.health.v1.Health",grpc_method="Check",grpc_code="NOT_FOUND",service="metrics-test"} 1');
    expect(text).toMatch(/^process_cpu_seconds_total\{service="metrics-test"\} /m);
  });

  it('answers liveness always and readiness only while serving', async () => {
    const { grpc } = await start();
    expect((await admin('/healthz')).status).toBe(200);
    expect((await admin('/readyz')).status).toBe(200);
    grpc.health.drain();
    expect((await admin('/readyz')).status).toBe(503);
    expect((await admin('/healthz')).status).toBe(200);
    expect((await admin('/nothing')).status).toBe(404);
  });
});
