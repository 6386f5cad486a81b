// One webhook traced from the gateway to the book. The local stack runs with OTEL_EXPORTER_OTLP_ENDPOINT naming a
// collector in this test (a real OTLP/HTTP server on loopback, taking the apps' JSON and Envoy's protobuf); in front
// of its sidecars runs a gateway Envoy from envoy/gateway.yaml with Envoy's OpenTelemetry tracer added, as the
// charts add it when a collector is configured. The gateway's span, the router's and the controller's spans and the
// traceparent the book receives all carry one trace id, each span the child of the one before; the gateway's access
// log line, the apps' spans (whose request context their log lines read) and the book carry one request id. Then the
// three apps' /metrics are scraped: every metric the bdk chart's Grafana dashboard and PrometheusRule query is there.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { issueToken, localAuthDir, organizationPermissions, platformAdminPermissions, readLocalSigningKey } from '@bdk/auth';
import {
  seedCreateBookRequest,
  seedCreateInstanceRequest,
  seedWebhookBody,
  seedWebhookHeaders,
  startEnvoy,
  startModelManager,
  waitUntil,
  workspaceRoot,
  type RunningEnvoy,
} from '@bdk/testing';
import { signPayload } from '@bdk/webhooks';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { startStack, type Stack } from './support/local-stack.js';

interface CollectedSpan {
  service: string;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  kind: number;
  attributes: Record<string, unknown>;
}

const SERVER = 2;
const CLIENT = 3;

/** Reads the fields of one protobuf message: number, wire type and, for length-delimited ones, the bytes. */
function* protoFields(bytes: Uint8Array): Generator<{ no: number; bytes?: Uint8Array; varint?: number }> {
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [no, wireType] = reader.tag();
    if (wireType === WireType.LengthDelimited) yield { no, bytes: reader.bytes() };
    else if (wireType === WireType.Varint) yield { no, varint: reader.int32() };
    else reader.skip(wireType, no);
  }
}

const hex = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? []).toString('hex');
const text = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? []).toString('utf8');

/** service.name of an OTLP Resource (KeyValue 1, its key 1 and AnyValue 2 with string_value 1). */
function protoServiceName(resource: Uint8Array): string {
  for (const attribute of protoFields(resource)) {
    if (attribute.no !== 1 || !attribute.bytes) continue;
    const fields = [...protoFields(attribute.bytes)];
    if (text(fields.find((f) => f.no === 1)?.bytes) !== 'service.name') continue;
    const value = fields.find((f) => f.no === 2)?.bytes;
    return text([...protoFields(value ?? new Uint8Array())].find((f) => f.no === 1)?.bytes);
  }
  return '';
}

/** opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest, as Envoy sends it. */
function protoSpans(body: Uint8Array): CollectedSpan[] {
  const spans: CollectedSpan[] = [];
  for (const resourceSpans of protoFields(body)) {
    if (resourceSpans.no !== 1 || !resourceSpans.bytes) continue;
    const fields = [...protoFields(resourceSpans.bytes)];
    const service = protoServiceName(fields.find((f) => f.no === 1)?.bytes ?? new Uint8Array());
    for (const scope of fields.filter((f) => f.no === 2)) {
      for (const spanField of protoFields(scope.bytes ?? new Uint8Array())) {
        if (spanField.no !== 2 || !spanField.bytes) continue;
        const span = [...protoFields(spanField.bytes)];
        const bytesOf = (no: number) => span.find((f) => f.no === no)?.bytes;
        spans.push({ service, traceId: hex(bytesOf(1)), spanId: hex(bytesOf(2)), parentSpanId: hex(bytesOf(4)), name: text(bytesOf(5)), kind: span.find((f) => f.no === 6)?.varint ?? 0, attributes: {} });
      }
    }
  }
  return spans;
}

interface JsonExport {
  resourceSpans?: {
    resource?: { attributes?: { key: string; value: { stringValue?: string } }[] };
    scopeSpans?: {
      spans?: { name: string; traceId: string; spanId: string; parentSpanId?: string; kind: number; attributes?: { key: string; value: { stringValue?: string; intValue?: number } }[] }[];
    }[];
  }[];
}

/** The same request as OTLP/HTTP JSON, as the apps' exporter sends it. */
function jsonSpans(body: Buffer): CollectedSpan[] {
  const parsed = JSON.parse(body.toString('utf8')) as JsonExport;
  return (parsed.resourceSpans ?? []).flatMap((resourceSpans) => {
    const service = resourceSpans.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
    return (resourceSpans.scopeSpans ?? []).flatMap((scope) =>
      (scope.spans ?? []).map((span) => ({
        service,
        name: span.name,
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId ?? '',
        kind: span.kind,
        attributes: Object.fromEntries((span.attributes ?? []).map(({ key, value }) => [key, value.stringValue ?? value.intValue])),
      })),
    );
  });
}

/** A real HTTP server on loopback: an OTLP/HTTP collector (POST /v1/traces) or the book (every other path). */
async function listen(handler: http.RequestListener): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function readBody(request: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

const spans: CollectedSpan[] = [];
const bookHeaders: http.IncomingHttpHeaders[] = [];
const closers: (() => Promise<unknown>)[] = [];
let stack: Stack;
let gateway: RunningEnvoy;
const tokens = { admin: '', acme: '' };

/** envoy/gateway.yaml with Envoy's OpenTelemetry tracer exporting over OTLP/HTTP to the cluster opentelemetry_collector. */
async function tracingGatewayConfig(dir: string): Promise<string> {
  const config = parse(await readFile(path.join(workspaceRoot, 'envoy/gateway.yaml'), 'utf8')) as {
    static_resources: { listeners: { filter_chains: { filters: { typed_config: Record<string, unknown> }[] }[] }[]; clusters: unknown[] };
  };
  const manager = config.static_resources.listeners[0]?.filter_chains[0]?.filters[0]?.typed_config;
  if (!manager) throw new Error('envoy/gateway.yaml has no HTTP connection manager where this test expects it');
  manager['tracing'] = {
    provider: {
      name: 'envoy.tracers.opentelemetry',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.config.trace.v3.OpenTelemetryConfig',
        http_service: { http_uri: { uri: 'http://opentelemetry-collector:4318/v1/traces', cluster: 'opentelemetry_collector', timeout: '2s' } },
        service_name: 'bdk-gateway',
      },
    },
  };
  config.static_resources.clusters.push({
    name: 'opentelemetry_collector',
    type: 'STRICT_DNS',
    connect_timeout: '2s',
    load_assignment: { cluster_name: 'opentelemetry_collector', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 'opentelemetry-collector', port_value: 4318 } } } }] }] },
  });
  const file = path.join(dir, 'gateway-tracing.yaml');
  await writeFile(file, stringify(config));
  return path.relative(workspaceRoot, file);
}

async function rest(method: string, route: string, token: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${gateway.url}${route}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  const collector = await listen((request, response) => {
    void readBody(request).then((body) => {
      const type = String(request.headers['content-type']);
      if (request.method === 'POST' && request.url === '/v1/traces') {
        spans.push(...(type.startsWith('application/json') ? jsonSpans(body) : protoSpans(body)));
        response.writeHead(200, { 'content-type': type }).end(type.startsWith('application/json') ? '{}' : undefined);
      } else response.writeHead(404).end();
    });
  });
  closers.push(() => collector.close());
  const book = await listen((request, response) => {
    bookHeaders.push(request.headers);
    void readBody(request).then(() => response.writeHead(202).end());
  });
  closers.push(() => book.close());
  const modelManager = await startModelManager();
  closers.push(() => modelManager.close());

  const { KUBECONFIG: _ownCluster, ...env } = process.env;
  stack = await startStack({
    ...env,
    BDK_BOOK_URL_TEMPLATE: `http://127.0.0.1:${book.port}/{namespace}/{service}`,
    BDK_MODEL_MANAGER_URL: modelManager.url,
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collector.port}`,
    OTEL_BSP_SCHEDULE_DELAY: '200',
  });
  closers.push(() => stack.stop());
  const sidecar = (app: string) => Number(new RegExp(`${app}\\s.*REST sidecar http://127\\.0\\.0\\.1:(\\d+)`).exec(stack.output)?.[1]);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bdk-tracing-'));
  closers.push(() => rm(dir, { recursive: true, force: true }));
  gateway = await startEnvoy({
    config: await tracingGatewayConfig(dir),
    upstreams: { library_service: sidecar('library-service'), webhook_router: sidecar('webhook-router'), opentelemetry_collector: collector.port },
  });
  closers.push(() => gateway.stop());

  const key = await readLocalSigningKey(localAuthDir(stack.stateDir));
  if (!key) throw new Error('the local stack wrote no signing key');
  tokens.admin = await issueToken({ key, issuer: key.issuer, audience: key.audience, subject: 'platform-admin', permissions: platformAdminPermissions });
  tokens.acme = await issueToken({ key, issuer: key.issuer, audience: key.audience, subject: 'alice', organizationId: seedCreateInstanceRequest.organization_id, permissions: organizationPermissions });
}, 240_000);

afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
}, 90_000);

describe('a webhook traced from the gateway to the book', () => {
  it('carries one trace id through the gateway, the router, the controller and the trigger the book receives', async () => {
    const book = await rest('POST', '/api/v1/books', tokens.admin, { ...seedCreateBookRequest, integrations: [{ name: 'zendesk', type: 'webhook', config: { endpoint: '/webhooks/zendesk' } }] });
    expect(book.status).toBe(201);
    const bookId = String(book.json['book_id']);
    const instance = await rest('POST', `/api/v1/books/${bookId}/instances`, tokens.acme, seedCreateInstanceRequest);
    expect(instance.status).toBe(201);
    const instanceId = String(instance.json['instance_id']);
    const secret = (instance.json['webhooks'] as { signing_secret: string }[])[0]?.signing_secret ?? '';
    await waitUntil(
      'the instance to be Ready',
      async () => ((await rest('GET', `/api/v1/books/${bookId}/instances/${instanceId}`, tokens.acme)).json['instance'] as { status?: { phase?: string } }).status?.phase === 'Ready',
      { timeoutMs: 90_000, intervalMs: 250 },
    );

    const signature = signPayload({ scheme: 'zendesk', payload: Buffer.from(seedWebhookBody), secret });
    const before = bookHeaders.length;
    const delivered = await rest('POST', '/api/v1/webhooks/zendesk', '', seedWebhookBody, { ...seedWebhookHeaders, ...signature });
    expect([delivered.status, delivered.json['processed']]).toEqual([200, true]);
    expect(bookHeaders.length).toBe(before + 1);
    const atBook = bookHeaders[before] ?? {};
    const traceparent = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(String(atBook['traceparent']));
    expect(traceparent).not.toBeNull();
    const traceId = traceparent?.[1] ?? '';

    const inTrace = () => spans.filter((span) => span.traceId === traceId);
    const find = (service: string, kind: number, name?: string) => inTrace().find((s) => s.service === service && s.kind === kind && (name === undefined || s.name === name));
    await waitUntil('the gateway’s, router’s and controller’s spans at the collector', () => find('bdk-gateway', SERVER) && find('book-controller', CLIENT, 'POST book trigger'), {
      timeoutMs: 20_000,
      intervalMs: 250,
    });
    const gatewaySpan = find('bdk-gateway', SERVER);
    const routerSpan = find('webhook-router', SERVER, 'bdk.v1.WebhookService/DeliverWebhook');
    const routerCall = find('webhook-router', CLIENT, 'bdk.v1.BookControllerService/DispatchTriggers');
    const controllerSpan = find('book-controller', SERVER, 'bdk.v1.BookControllerService/DispatchTriggers');
    const trigger = find('book-controller', CLIENT, 'POST book trigger');
    // Each hop is the child of the one before: gateway → (sidecar, passing traceparent on) → router → controller → book.
    expect(gatewaySpan?.parentSpanId).toBe('');
    expect(routerSpan?.parentSpanId).toBe(gatewaySpan?.spanId);
    expect(routerCall?.parentSpanId).toBe(routerSpan?.spanId);
    expect(controllerSpan?.parentSpanId).toBe(routerCall?.spanId);
    expect(trigger?.parentSpanId).toBe(controllerSpan?.spanId);
    expect(traceparent?.[2]).toBe(trigger?.spanId);

    // The request id Envoy gave the webhook is the one the router and the controller served it under (what their
    // log lines carry as request_id), the one the book receives, and the one in the gateway's access log line.
    const requestId = String(atBook['x-request-id']);
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(atBook['x-bdk-request-id']).toBe(requestId);
    expect(routerSpan?.attributes['bdk.request_id']).toBe(requestId);
    expect(controllerSpan?.attributes['bdk.request_id']).toBe(requestId);
    const accessLine = await waitUntil('the gateway’s access log line', () =>
      gateway.process
        .output()
        .split('\n')
        .map((line) => line.slice(line.indexOf('{')))
        .filter((line) => line.startsWith('{"'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((line) => line['request_id'] === requestId),
    );
    expect(accessLine).toMatchObject({ log: 'gateway_access', method: 'POST', path: '/api/v1/webhooks/zendesk', status: 200, upstream_cluster: 'webhook_router' });
    expect(String(accessLine['traceparent'])).toContain(traceId);
  }, 180_000);
});

/** PromQL expressions of the dashboard (its JSON "expr" fields) and the alerting rules (expr: lines and blocks). */
function chartQueries(dashboard: string, rules: string): string[] {
  const fromDashboard = [...dashboard.matchAll(/"expr": ("(?:[^"\\]|\\.)*")/g)].map((match) => JSON.parse(match[1] ?? '""') as string);
  const fromRules: string[] = [];
  const lines = rules.split('\n');
  lines.forEach((line, i) => {
    const expr = /^(\s*)expr:\s*(.*)$/.exec(line);
    if (!expr) return;
    if (expr[2] !== '|') return void fromRules.push(expr[2] ?? '');
    const indent = (expr[1] ?? '').length;
    const block: string[] = [];
    for (const next of lines.slice(i + 1)) {
      if (next.trim() !== '' && next.length - next.trimStart().length <= indent) break;
      block.push(next);
    }
    fromRules.push(block.join('\n'));
  });
  // Helm's actions (the thresholds) are values, not names.
  return [...fromDashboard, ...fromRules].map((query) => query.replaceAll(/\{\{.*?\}\}/g, '0'));
}

const promqlWords = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

/** The metric names a PromQL expression reads: what is left once strings, matchers, ranges, groupings and functions go. */
function metricNames(query: string): string[] {
  const bare = query
    .replaceAll(/"(?:[^"\\]|\\.)*"/g, '')
    .replaceAll(/\{[^}]*\}/g, '')
    .replaceAll(/\[[^\]]*\]/g, '')
    .replaceAll(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  return [...bare.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)]
    .filter((match) => match[2] === undefined && !promqlWords.has((match[1] ?? '').toLowerCase()))
    .map((match) => match[1] ?? '');
}

/** Every series name a Prometheus text exposition offers, histograms' _bucket, _sum and _count included. */
function exposedNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type) {
      const [, name = '', kind] = type;
      names.add(name);
      if (kind === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
      if (kind === 'summary') for (const suffix of ['_sum', '_count']) names.add(name + suffix);
    } else if (line && !line.startsWith('#')) names.add(/^[^{\s]+/.exec(line)?.[0] ?? '');
  }
  return names;
}

describe('the monitoring the bdk chart ships', () => {
  it('queries only metrics the three apps export on /metrics', async () => {
    const templates = path.join(workspaceRoot, 'charts/bdk/templates');
    const queries = chartQueries(await readFile(path.join(templates, 'grafana-dashboard.yaml'), 'utf8'), await readFile(path.join(templates, 'prometheus-rule.yaml'), 'utf8'));
    expect(queries.length).toBeGreaterThan(20);
    const used = new Set(queries.flatMap(metricNames));
    // The alerts' metrics, at least, are among them (the extraction found names at all).
    for (const name of ['bdk_webhook_dead_letters', 'grpc_server_handled_total', 'bdk_webhook_queue_oldest_age_seconds', 'bdk_controller_reconcile_total']) expect(used).toContain(name);

    const urls = [...stack.output.matchAll(/metrics (http:\/\/127\.0\.0\.1:\d+\/metrics)/g)].map((match) => match[1] ?? '');
    expect(urls).toHaveLength(3);
    const exported = new Set<string>();
    for (const url of urls) for (const name of exposedNames(await (await fetch(url)).text())) exported.add(name);
    expect([...used].filter((name) => !exported.has(name))).toEqual([]);
  }, 30_000);
});
