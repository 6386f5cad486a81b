// The webhook-router chart's Envoy sidecar config, as rendered with a small edge rate limit, run by the real Envoy in
// front of a gRPC stand-in for the router: a source over its bucket is answered 429 with Retry-After and
// x-envoy-ratelimited (JSON, like the sidecar's other errors) before the transcoder, and never reaches the app; another
// source and the delivery API still reach it, transcoded to gRPC.
import type { V1ConfigMap } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startEnvoy, workspaceRoot, type RunningEnvoy } from '@bdk/testing';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { assertGenerated, render } from './helm.js';

const burst = 3;
const calls: string[] = [];
let app: http2.Http2Server | undefined;
let envoy: RunningEnvoy | undefined;
let configDir: string | undefined;

/** Answers every gRPC call with an empty message and status OK, recording the method called. */
async function grpcStandIn(): Promise<number> {
  app = http2.createServer();
  app.on('stream', (stream, headers) => {
    stream.resume();
    stream.on('end', () => {
      calls.push(String(headers[':path']));
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      // One uncompressed gRPC frame holding an empty message.
      stream.end(Buffer.from([0, 0, 0, 0, 0]));
    });
  });
  await new Promise<void>((resolve) => app?.listen(0, '127.0.0.1', resolve));
  return (app.address() as AddressInfo).port;
}

beforeAll(async () => {
  assertGenerated();
  const rendered = await render('webhook-router', { set: { 'rateLimits.edge': { enabled: true, requestsPerSecond: 1, burst, maxSources: 100 } } });
  const config = rendered.one<V1ConfigMap>('ConfigMap', 'bdk-webhook-router-envoy').data?.['envoy.yaml'] ?? '';
  configDir = await mkdtemp(path.join(os.tmpdir(), 'bdk-sidecar-limit-'));
  const file = path.join(configDir, 'envoy.yaml');
  await writeFile(file, config);
  // The harness moves the listener, the app's cluster and the descriptor path to this machine; nothing else changes.
  envoy = await startEnvoy({ config: path.relative(workspaceRoot, file), upstreams: { app_grpc: await grpcStandIn() } });
}, 60_000);

afterAll(async () => {
  await envoy?.stop();
  await new Promise((resolve) => (app ? app.close(resolve) : resolve(undefined)));
  if (configDir) await rm(configDir, { recursive: true, force: true });
});

async function webhook(source: string): Promise<Response> {
  if (!envoy) throw new Error('envoy did not start');
  return fetch(`${envoy.url}/api/v1/webhooks/${source}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"ticket":1}' });
}

describe('webhook-router chart: the sidecar edge rate limit', () => {
  it('answers 429 with Retry-After to a source over its bucket, and lets another source through to the app', async () => {
    // Within the same second: at most one token comes back in the meantime.
    const statuses: number[] = [];
    for (let i = 0; i < burst + 3; i += 1) statuses.push((await webhook('github')).status);
    expect(statuses.slice(0, burst)).toEqual(Array<number>(burst).fill(200));
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(2);

    const limited = await webhook('github');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.headers.get('x-envoy-ratelimited')).toBe('true');
    expect(await limited.json()).toEqual({ code: 8, message: "too many webhooks from this source: retry after the Retry-After header's seconds" });

    const other = await webhook('zendesk');
    expect(other.status).toBe(200);
    // Only what passed the limit reached the app, transcoded to the router's gRPC method.
    expect(calls.length).toBe(statuses.filter((status) => status === 200).length + 1);
    expect(new Set(calls)).toEqual(new Set(['/bdk.v1.WebhookService/DeliverWebhook']));
  });

  it('does not count the delivery API', async () => {
    if (!envoy) throw new Error('envoy did not start');
    for (let i = 0; i < burst + 2; i += 1) {
      expect((await fetch(`${envoy.url}/api/v1/webhooks/deliveries`)).status).toBe(200);
    }
    expect(calls.filter((call) => call.endsWith('/ListDeliveries')).length).toBe(burst + 2);
  });
});
