// The real Envoy with envoy/gateway.yaml, its per-source webhook bucket lowered to a few requests: a source that
// sends more than its bucket is answered 429 with Retry-After and x-envoy-ratelimited (as JSON, like the gateway's
// other errors) and never reaches the router, while another source, the delivery API and the books API pass.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startEnvoy, workspaceRoot, type RunningEnvoy } from '@bdk/testing';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';

interface TokenBucket {
  max_tokens: number;
  tokens_per_fill: number;
  fill_interval: string;
}
interface RateLimitFilter {
  name: string;
  typed_config: { descriptors: { entries: { key: string; value: string }[]; token_bucket: TokenBucket }[] };
}
interface GatewayConfig {
  static_resources: { listeners: { filter_chains: { filters: { typed_config: { http_filters: RateLimitFilter[] } }[] }[] }[] };
}

const burst = 3;
const received: string[] = [];
let upstream: http.Server | undefined;
let envoy: RunningEnvoy | undefined;
let configDir: string | undefined;

/** The per-source bucket of a parsed gateway config. */
function sourceBucket(config: GatewayConfig): TokenBucket {
  const filters = config.static_resources.listeners[0]?.filter_chains[0]?.filters[0]?.typed_config.http_filters ?? [];
  const limit = filters.find((f) => f.name === 'envoy.filters.http.local_ratelimit');
  const descriptor = limit?.typed_config.descriptors.find((d) => d.entries.some((e) => e.key === 'webhook_source' && e.value === ''));
  if (!descriptor) throw new Error('envoy/gateway.yaml has no per-source local_ratelimit descriptor');
  return descriptor.token_bucket;
}

beforeAll(async () => {
  upstream = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      received.push(`${request.method} ${request.url}`);
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"processed":true}');
    });
  });
  await new Promise<void>((resolve) => upstream?.listen(0, '127.0.0.1', resolve));
  const port = (upstream.address() as AddressInfo).port;

  // The shipped config with only the bucket made small and slow to refill, so that the test outruns it.
  const config = parse(readFileSync(path.join(workspaceRoot, 'envoy/gateway.yaml'), 'utf8')) as GatewayConfig;
  Object.assign(sourceBucket(config), { max_tokens: burst, tokens_per_fill: 1, fill_interval: '60s' });
  configDir = await mkdtemp(path.join(os.tmpdir(), 'bdk-gateway-limit-'));
  const file = path.join(configDir, 'gateway.yaml');
  await writeFile(file, stringify(config));
  envoy = await startEnvoy({ config: path.relative(workspaceRoot, file), upstreams: { library_service: port, webhook_router: port } });
}, 60_000);

afterAll(async () => {
  await envoy?.stop();
  await new Promise((resolve) => (upstream ? upstream.close(resolve) : resolve(undefined)));
  if (configDir) await rm(configDir, { recursive: true, force: true });
});

async function post(pathname: string): Promise<Response> {
  if (!envoy) throw new Error('envoy did not start');
  return fetch(`${envoy.url}${pathname}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
}

describe('envoy/gateway.yaml webhook rate limit', () => {
  it('is generous as shipped: thousands of webhooks a second per source', () => {
    const shipped = sourceBucket(parse(readFileSync(path.join(workspaceRoot, 'envoy/gateway.yaml'), 'utf8')) as GatewayConfig);
    expect(shipped.fill_interval).toBe('1s');
    expect(shipped.tokens_per_fill).toBeGreaterThanOrEqual(10_000);
    expect(shipped.max_tokens).toBeGreaterThanOrEqual(shipped.tokens_per_fill);
  });

  it('answers 429 with Retry-After to a source over its bucket, which the router never sees, while another source passes', async () => {
    const github: number[] = [];
    // The spec's route and the instance-addressed one draw on the same bucket: the source's.
    for (let i = 0; i < burst + 3; i += 1) github.push((await post(i % 2 === 0 ? '/api/v1/webhooks/github' : '/api/v1/webhooks/github/instances/i-1')).status);
    expect(github).toEqual([...Array<number>(burst).fill(200), 429, 429, 429]);

    const limited = await post('/api/v1/webhooks/github?attempt=2');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.headers.get('x-envoy-ratelimited')).toBe('true');
    expect(await limited.json()).toEqual({ code: 8, message: "too many webhooks from this source: retry after the Retry-After header's seconds" });
    expect(received.filter((r) => r.includes('/github')).length).toBe(burst);

    for (let i = 0; i < burst; i += 1) expect((await post('/api/v1/webhooks/zendesk')).status).toBe(200);
  });

  it('does not count the delivery API or the books API', async () => {
    if (!envoy) throw new Error('envoy did not start');
    for (let i = 0; i < burst + 2; i += 1) {
      expect((await fetch(`${envoy.url}/api/v1/webhooks/deliveries`)).status).toBe(200);
      expect((await post('/api/v1/webhooks/deliveries/d-1:replay')).status).toBe(200);
      expect((await post('/api/v1/webhooks/deliveries:replay')).status).toBe(200);
      expect((await post('/api/v1/books')).status).toBe(200);
    }
  });
});
