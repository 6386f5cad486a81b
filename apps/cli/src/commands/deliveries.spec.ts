import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { startRecordingServer, type RecordingServer } from '../../test/support/recording-server.js';
import { runCli } from '../../test/support/run-cli.js';
import { registerDeliveriesCommands } from './deliveries.js';

let server: RecordingServer;
let env: NodeJS.ProcessEnv = {};
const run = (...args: string[]) => runCli([registerDeliveriesCommands], args, env);
const delivery = {
  webhook_id: 'w-1',
  source: 'zendesk',
  event: 'ticket.created',
  state: 'dead_lettered',
  attempts: 5,
  targets: ['customer-acme/customer-support-1-0-0'],
  received_at: '2026-01-02T03:04:05.123456Z',
  target_states: [{ instance_id: 'i-1', routed_to: 'customer-acme/customer-support-1-0-0', state: 'dead_lettered', attempts: 5, last_error: 'HTTP 503' }],
  attempt_log: [{ attempted_at: '2026-01-02T03:04:06Z', instance_id: 'i-1', routed_to: 'customer-acme/customer-support-1-0-0', http_status: 503, latency_ms: 12, error: 'HTTP 503' }],
};

beforeEach(async () => {
  server = await startRecordingServer();
  env = { BDK_SERVER: server.url, BDK_TOKEN: 'acme-token', XDG_CONFIG_HOME: '/nonexistent' };
});

afterEach(() => server.close());

describe('bdk deliveries', () => {
  it('list filters by source and state', async () => {
    server.answer('GET /api/v1/webhooks/deliveries', { json: { deliveries: [delivery] } });
    const answer = await run('deliveries', 'list', '--source', 'zendesk', '--state', 'dead_lettered');
    expect(answer.stdout).toBe(
      [
        'WEBHOOK ID   SOURCE    EVENT            STATE           ATTEMPTS   TARGETS                                RECEIVED',
        'w-1          zendesk   ticket.created   dead_lettered   5          customer-acme/customer-support-1-0-0   2026-01-02T03:04:05Z',
        '',
      ].join('\n'),
    );
    expect(server.requests[0]?.url).toBe('/api/v1/webhooks/deliveries?source=zendesk&state=dead_lettered');
  });

  it('get shows the delivery, each target and each attempt', async () => {
    server.answer('GET /api/v1/webhooks/deliveries/w-1', { json: { delivery } });
    const answer = await run('deliveries', 'get', 'w-1');
    const sections = answer.stdout.split('\n\n');
    expect(sections).toHaveLength(3);
    expect(sections[1]).toMatch(/^INSTANCE ID\s+ROUTED TO\s+STATE\s+ATTEMPTS\s+LAST ERROR\ni-1\s+customer-acme\/customer-support-1-0-0\s+dead_lettered\s+5\s+HTTP 503$/);
    expect(sections[2]).toMatch(/^ATTEMPTED\s+ROUTED TO\s+HTTP STATUS\s+LATENCY MS\s+ERROR\n2026-01-02T03:04:06Z\s+\S+\s+503\s+12\s+HTTP 503\n$/);
  });

  it('replay sends one delivery again, or with --all every matching one', async () => {
    server.answer('POST /api/v1/webhooks/deliveries/w-1:replay', { json: { delivery: { ...delivery, state: 'pending' } } });
    server.answer('POST /api/v1/webhooks/deliveries:replay', { json: { webhook_ids: ['w-1', 'w-2'] } });
    expect((await run('deliveries', 'replay', 'w-1')).stdout).toMatch(/\nw-1\s+zendesk\s+ticket\.created\s+pending\s/);
    expect(await run('deliveries', 'replay', '--all', '--source', 'zendesk', '--limit', '10')).toEqual({ code: 0, stdout: 'REPLAYED WEBHOOK ID\nw-1\nw-2\n', stderr: '' });
    expect(server.requests.map((request) => [request.url, request.body.toString()])).toEqual([
      ['/api/v1/webhooks/deliveries/w-1:replay', '{}'],
      ['/api/v1/webhooks/deliveries:replay', '{"source":"zendesk","limit":10}'],
    ]);
    expect(await run('deliveries', 'replay')).toEqual({ code: 1, stdout: '', stderr: 'Error: webhook_id: give one delivery, or --all for every matching one\n' });
    expect(server.requests).toHaveLength(2);
  });
});
