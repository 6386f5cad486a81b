import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { startRecordingServer, type RecordingServer } from '../../test/support/recording-server.js';
import { runCli } from '../../test/support/run-cli.js';
import { registerInstancesCommands } from './instances.js';

const instanceExample = path.resolve(import.meta.dirname, '../../../../charts/bdk/examples/book-instance-definition.yaml');
const instancePath = '/api/v1/books/b-1/instances/i-1';
let server: RecordingServer;
let env: NodeJS.ProcessEnv = {};
const run = (...args: string[]) => runCli([registerInstancesCommands], args, env);

beforeEach(async () => {
  server = await startRecordingServer();
  env = { BDK_SERVER: server.url, BDK_TOKEN: 'acme-token', XDG_CONFIG_HOME: '/nonexistent' };
});

afterEach(() => server.close());

describe('bdk instances create', () => {
  const created = {
    instance_id: 'i-1',
    book_id: 'b-1',
    customer_namespace: 'customer-acme',
    status: 'Pending',
    created_at: '2026-01-02T03:04:05Z',
    webhooks: [{ source: 'zendesk', scheme: 'zendesk', url: 'http://gw/api/v1/webhooks/zendesk/instances/i-1', signing_secret: 'whsec_abc' }],
  };

  it('posts the chart example to --book with the credential values given, and shows the webhooks to configure', async () => {
    server.answer('POST /api/v1/books/b-1/instances', { status: 201, json: created });
    const answer = await run('instances', 'create', '-f', instanceExample, '--book', 'b-1', '--credential', 'zendesk_api_key=zk', '--credential', 'slack_bot_token=xoxb');
    expect(answer.code).toBe(0);
    expect(answer.stdout).toBe(
      [
        'INSTANCE ID   BOOK ID   NAMESPACE       STATUS    CREATED',
        'i-1           b-1       customer-acme   Pending   2026-01-02T03:04:05Z',
        '',
        'SOURCE    SCHEME    URL                                               SIGNING SECRET',
        'zendesk   zendesk   http://gw/api/v1/webhooks/zendesk/instances/i-1   whsec_abc',
        '',
      ].join('\n'),
    );
    expect(answer.stderr).toContain('shown in this answer only');
    const body = JSON.parse(server.requests[0]?.body.toString() ?? '') as Record<string, unknown>;
    expect(body).toMatchObject({ customer_namespace: 'customer-acme', organization_id: 'org-uuid-123', deployment: { replicas: 2 } });
    expect(body['credentials']).toEqual([
      { name: 'zendesk_api_key', type: 'secret', source: 'external', value: 'zk' },
      { name: 'slack_bot_token', type: 'secret', source: 'external', value: 'xoxb' },
    ]);
  });

  it("finds the book the resource's bookRef names, or names spec.bookRef when the catalogue has none", async () => {
    server.answer('GET /api/v1/books', { json: { books: [{ book_id: 'b-0', name: 'customer-support-book', version: '0.9.0' }, { book_id: 'b-1', name: 'customer-support-book', version: '1.0.0' }] } }, { json: { books: [] } });
    server.answer('POST /api/v1/books/b-1/instances', { status: 201, json: created });
    expect((await run('instances', 'create', '-f', instanceExample, '-o', 'json')).code).toBe(0);
    expect(server.requests.map((request) => `${request.method} ${request.url}`)).toEqual(['GET /api/v1/books?name=customer-support-book&page_size=500', 'POST /api/v1/books/b-1/instances']);
    const none = await run('instances', 'create', '-f', instanceExample);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(`Error: ${instanceExample}: spec.bookRef: no book named "customer-support-book" version 1.0.0 in the catalogue`);
  });
});

describe('bdk instances wait', () => {
  const state = (phase: string, ready: number) => ({ json: { instance: { instance_id: 'i-1', status: { phase, deployment_status: { ready_replicas: ready, total_replicas: 2 } } } } });

  it('prints each change and exits 0 once Ready', async () => {
    server.answer(`GET ${instancePath}`, state('Pending', 0), state('Pending', 0), state('Pending', 1), state('Ready', 2));
    const answer = await run('instances', 'wait', 'i-1', '--book', 'b-1', '--interval', '10ms');
    expect(answer).toEqual({ code: 0, stdout: 'phase=Pending replicas=0/2\nphase=Pending replicas=1/2\nphase=Ready replicas=2/2\ninstance i-1: Ready\n', stderr: '' });
  });

  it('exits 1 when the instance fails and 2 on timeout', async () => {
    server.answer(`GET ${instancePath}`, state('Pending', 0), state('Failed', 0));
    expect((await run('instances', 'wait', 'i-1', '--book', 'b-1', '--interval', '10ms')).code).toBe(1);
    server.answer(`GET ${instancePath}`, state('Pending', 0));
    const timeout = await run('instances', 'wait', 'i-1', '--book', 'b-1', '--interval', '20ms', '--timeout', '200ms');
    expect(timeout).toEqual({ code: 2, stdout: 'phase=Pending replicas=0/2\ninstance i-1: not Ready after 200ms\n', stderr: '' });
  });

  it('with -o json, prints progress on stderr and the instance on stdout', async () => {
    server.answer(`GET ${instancePath}`, state('Ready', 2));
    const answer = await run('instances', 'wait', 'i-1', '--book', 'b-1', '-o', 'json');
    expect(answer.code).toBe(0);
    expect(JSON.parse(answer.stdout)).toMatchObject({ instance_id: 'i-1', status: { phase: 'Ready' } });
    expect(answer.stderr).toBe('phase=Ready replicas=2/2\ninstance i-1: Ready\n');
  });

  it('names what is missing or malformed in the arguments', async () => {
    const noBook = await run('instances', 'wait', 'i-1');
    expect(noBook.code).toBe(1);
    expect(noBook.stderr).toContain("error: required option '--book <book_id>' not specified");
    const badTimeout = await run('instances', 'wait', 'i-1', '--book', 'b-1', '--timeout', 'soon');
    expect(badTimeout.code).toBe(1);
    expect(badTimeout.stderr).toContain('\'--timeout <duration>\' argument \'soon\' is invalid. not a duration such as 30s, 5m or 1h30m: "soon"');
    expect(server.requests).toEqual([]);
  });
});
