// The umbrella's in-cluster gateway: an Envoy Deployment whose config is envoy/gateway.yaml (the local stack's
// gateway) with only its addresses changed, to the Services of this release's apps. Its rendered config is run by the
// real Envoy, its upstreams pointed at HTTP servers on loopback standing in for the app Services: each route reaches
// the app that serves it, and what Envoy answers itself (the OpenAPI document, JSON errors) is answered. The optional
// Ingress and HTTPRoute send /api/ to the gateway's Service.
import type { V1ConfigMap, V1Deployment, V1Ingress, V1PodDisruptionBudget, V1Service } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort, startEnvoy, workspaceRoot, type RunningEnvoy } from '@bdk/testing';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { assertGenerated, render, renderError, type Manifest, type Rendered } from './helm.js';

interface SocketAddress {
  address: string;
  port_value: number;
}
interface GatewayConfig {
  static_resources: {
    listeners: { name: string; address: { socket_address: SocketAddress }; filter_chains: unknown[] }[];
    clusters: { name: string; load_assignment: { endpoints: { lb_endpoints: { endpoint: { address: { socket_address: SocketAddress } } }[] }[] } }[];
  };
}

let rendered: Rendered;

beforeAll(async () => {
  assertGenerated();
  rendered = await render('bdk');
});

function gatewayConfig(of: Rendered = rendered): GatewayConfig {
  return parse(of.one<V1ConfigMap>('ConfigMap', 'bdk-gateway').data?.['envoy.yaml'] ?? '') as GatewayConfig;
}

describe('the in-cluster gateway', () => {
  it('serves envoy/gateway.yaml’s routes unchanged, on every address of the pod, sending each app’s routes to its Service', () => {
    const source = parse(readFileSync(path.join(workspaceRoot, 'envoy', 'gateway.yaml'), 'utf8')) as GatewayConfig;
    const config = gatewayConfig();
    expect(config.static_resources.listeners.map((l) => l.filter_chains)).toEqual(source.static_resources.listeners.map((l) => l.filter_chains));
    expect(config.static_resources.listeners.map((l) => l.address.socket_address)).toEqual([{ address: '0.0.0.0', port_value: 8080 }]);
    const upstreams = config.static_resources.clusters.map((c) => [c.name, c.load_assignment.endpoints.flatMap((e) => e.lb_endpoints.map((l) => l.endpoint.address.socket_address))]);
    expect(upstreams).toEqual([
      ['library_service', [{ address: 'bdk-library-service', port_value: 8080 }]],
      ['webhook_router', [{ address: 'bdk-webhook-router', port_value: 8080 }]],
    ]);
  });

  it('follows the apps’ Service names and ports', async () => {
    const moved = await render('bdk', {
      set: {
        'library-service.fullnameOverride': 'books',
        'book-controller.internalAuth.callers.libraryService.serviceAccount': 'books',
        'webhook-router.service.ports': { http: 8181, grpc: 9090, metrics: 9464 },
      },
    });
    const upstreams = gatewayConfig(moved).static_resources.clusters.map((c) => c.load_assignment.endpoints[0]?.lb_endpoints[0]?.endpoint.address.socket_address);
    expect(upstreams).toEqual([
      { address: 'books', port_value: 8080 },
      { address: 'bdk-webhook-router', port_value: 8181 },
    ]);
  });

  it('runs two Envoy replicas from the ConfigMap, rolled on a config change, behind a Service and a PodDisruptionBudget', () => {
    const deployment = rendered.one<V1Deployment>('Deployment', 'bdk-gateway');
    const pod = deployment.spec?.template.spec;
    expect(deployment.spec?.replicas).toBe(2);
    expect(pod?.containers.map((c) => [c.name, c.image, c.args])).toEqual([['envoy', 'envoyproxy/envoy:v1.40.0', ['--config-path', '/etc/envoy/envoy.yaml', '--disable-hot-restart', '--log-level', 'info']]]);
    expect(pod?.containers[0]?.readinessProbe?.httpGet).toEqual({ path: '/api/v1/openapi.json', port: 'http' });
    expect(pod?.volumes?.[0]?.configMap?.name).toBe('bdk-gateway');
    expect(pod?.automountServiceAccountToken).toBe(false);
    expect(deployment.spec?.template.metadata?.annotations?.['checksum/config']).toMatch(/^[0-9a-f]{64}$/);
    const service = rendered.one<V1Service>('Service', 'bdk-gateway');
    expect(service.spec?.selector).toEqual(deployment.spec?.selector.matchLabels);
    expect(service.spec?.ports?.map((p) => [p.name, p.port, p.targetPort])).toEqual([['http', 8080, 'http']]);
    const budget = rendered.one<V1PodDisruptionBudget>('PodDisruptionBudget', 'bdk-gateway');
    expect([budget.spec?.minAvailable, budget.spec?.selector?.matchLabels]).toEqual([1, deployment.spec?.selector.matchLabels]);
  });

  it('installs no Ingress or HTTPRoute unless asked, and nothing with gateway.enabled false or no REST app', async () => {
    expect(rendered.all('Ingress').concat(rendered.all('HTTPRoute'))).toEqual([]);
    const off = await render('bdk', { set: { 'gateway.enabled': false } });
    expect(off.objects.filter((o) => o.metadata.name === 'bdk-gateway').map((o: Manifest) => o.kind)).toEqual([]);
    // Nor without an app behind it.
    const controllerOnly = await render('bdk', { set: { 'library-service.enabled': false, 'webhook-router.enabled': false } });
    expect(controllerOnly.objects.filter((o) => o.metadata.name === 'bdk-gateway').map((o: Manifest) => o.kind)).toEqual([]);
  });

  it('sends /api/ on each Ingress host, or on the named Gateway’s HTTPRoute, to the gateway’s Service', async () => {
    const withIngress = await render('bdk', {
      set: { 'gateway.ingress': { enabled: true, className: 'nginx', hosts: ['api.example.com'], tls: [{ hosts: ['api.example.com'], secretName: 'api-tls' }] } },
    });
    const ingress = withIngress.one<V1Ingress>('Ingress', 'bdk-gateway');
    expect(ingress.spec?.ingressClassName).toBe('nginx');
    expect(ingress.spec?.rules).toEqual([
      { host: 'api.example.com', http: { paths: [{ path: '/api/', pathType: 'Prefix', backend: { service: { name: 'bdk-gateway', port: { name: 'http' } } } }] } },
    ]);
    const withRoute = await render('bdk', { set: { 'gateway.httpRoute': { enabled: true, parentRefs: [{ name: 'public', namespace: 'gateways' }], hostnames: ['api.example.com'] } } });
    const route = withRoute.one<Manifest & { spec: unknown }>('HTTPRoute', 'bdk-gateway');
    expect(route.apiVersion).toBe('gateway.networking.k8s.io/v1');
    expect(route.spec).toEqual({
      parentRefs: [{ name: 'public', namespace: 'gateways' }],
      hostnames: ['api.example.com'],
      rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/api/' } }], backendRefs: [{ name: 'bdk-gateway', port: 8080 }] }],
    });
    expect(await renderError('bdk', { set: { 'gateway.httpRoute.enabled': true } })).toMatch(/gateway\.httpRoute\.parentRefs must name the Gateway/);
    expect(await renderError('bdk', { set: { 'gateway.ingress.enabled': true } })).toMatch(/gateway\.ingress\.hosts must name at least one host/);
  });

  describe('its rendered config, run by the real Envoy', () => {
    const seen: Record<string, string[]> = { library: [], router: [] };
    const servers: Server[] = [];
    let envoy: RunningEnvoy | undefined;
    let dir: string | undefined;

    async function standIn(name: string): Promise<number> {
      const port = await freePort();
      const server = createServer((request, response) => {
        seen[name]?.push(`${request.method} ${request.url}`);
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ from: name }));
      });
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
      return port;
    }

    beforeAll(async () => {
      const library = await standIn('library');
      const router = await standIn('router');
      dir = mkdtempSync(path.join(os.tmpdir(), 'bdk-gateway-'));
      const file = path.join(dir, 'gateway.yaml');
      writeFileSync(file, rendered.one<V1ConfigMap>('ConfigMap', 'bdk-gateway').data?.['envoy.yaml'] ?? '');
      envoy = await startEnvoy({ config: path.relative(workspaceRoot, file), upstreams: { library_service: library, webhook_router: router } });
    }, 60_000);

    afterAll(async () => {
      await envoy?.stop();
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('sends the books routes to the library-service and the webhook routes to the webhook-router', async () => {
      const url = envoy?.url ?? '';
      expect((await fetch(`${url}/api/v1/books`)).status).toBe(200);
      expect((await fetch(`${url}/api/v1/books/b1/instances`)).status).toBe(200);
      expect((await fetch(`${url}/api/v1/webhooks/github`, { method: 'POST', body: '{}' })).status).toBe(200);
      expect(seen).toEqual({ library: ['GET /api/v1/books', 'GET /api/v1/books/b1/instances'], router: ['POST /api/v1/webhooks/github'] });
    });

    it('answers the OpenAPI document itself, and a JSON 404 for a path that is no API', async () => {
      const url = envoy?.url ?? '';
      const document = await fetch(`${url}/api/v1/openapi.json`);
      expect([document.status, ((await document.json()) as { openapi: string }).openapi]).toEqual([200, '3.0.3']);
      const missing = await fetch(`${url}/api/v1/booksx`);
      expect([missing.status, await missing.json()]).toEqual([404, { code: 5, message: 'no BDK API at /api/v1/booksx' }]);
    });
  });
});
