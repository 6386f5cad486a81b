import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { parse } from 'yaml';
import { startRecordingServer, type RecordingServer } from '../../test/support/recording-server.js';
import { runCli } from '../../test/support/run-cli.js';
import { registerBooksCommands } from './books.js';

const bookExample = path.resolve(import.meta.dirname, '../../../../charts/bdk/examples/book-definition.yaml');
let server: RecordingServer;
let env: NodeJS.ProcessEnv = {};

beforeEach(async () => {
  server = await startRecordingServer();
  env = { BDK_SERVER: server.url, BDK_TOKEN: 'admin-token', XDG_CONFIG_HOME: '/nonexistent' };
});

afterEach(() => server.close());

describe('bdk books', () => {
  it("create -f posts the chart example's spec and prints the answer as a table, JSON or YAML", async () => {
    const created = { book_id: 'b-1', name: 'customer-support', version: '1.0.0', created_at: '2026-01-02T03:04:05.678Z' };
    server.answer('POST /api/v1/books', { status: 201, json: created });
    const table = await runCli([registerBooksCommands], ['books', 'create', '-f', bookExample], env);
    expect(table).toEqual({ code: 0, stdout: 'BOOK ID   NAME               VERSION   CREATED\nb-1       customer-support   1.0.0     2026-01-02T03:04:05Z\n', stderr: '' });
    const body = JSON.parse(server.requests[0]?.body.toString() ?? '') as Record<string, unknown>;
    expect(body).toMatchObject({ name: 'customer-support', version: '1.0.0', capabilities: ['ticket_creation', 'customer_lookup', 'escalation_management'] });
    expect(server.requests[0]?.headers).toMatchObject({ authorization: 'Bearer admin-token', 'content-type': 'application/json' });

    const json = await runCli([registerBooksCommands], ['books', 'create', '-f', bookExample, '-o', 'json'], env);
    expect(JSON.parse(json.stdout)).toEqual(created);
    const yaml = await runCli([registerBooksCommands], ['-o', 'yaml', 'books', 'create', '-f', bookExample], env);
    expect(parse(yaml.stdout)).toEqual(created);
  });

  it("prints the server's error with its HTTP and gRPC codes and the field it names, and exits 1", async () => {
    server.answer('POST /api/v1/books', {
      status: 400,
      json: {
        code: 3,
        message: 'version: must be a semantic version such as 1.0.0, got "one"',
        details: [{ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field: 'version', description: 'must be a semantic version such as 1.0.0, got "one"' }] }],
      },
    });
    const run = await runCli([registerBooksCommands], ['books', 'create', '-f', bookExample], env);
    expect(run).toEqual({ code: 1, stdout: '', stderr: 'Error: HTTP 400 INVALID_ARGUMENT: version: must be a semantic version such as 1.0.0, got "one"\n' });
  });

  it('names a missing file and an unreachable gateway', async () => {
    const missing = await runCli([registerBooksCommands], ['books', 'create', '-f', '/nonexistent/book.yaml'], env);
    expect(missing).toEqual({ code: 1, stdout: '', stderr: 'Error: -f /nonexistent/book.yaml: no such file\n' });
    await server.close();
    const down = await runCli([registerBooksCommands], ['books', 'get', 'b-1'], env);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(new RegExp(`^Error: cannot reach ${server.url}: ECONNREFUSED\\n$`));
    server = await startRecordingServer();
  });

  it('list passes the filters and says how to get the next page', async () => {
    server.answer('GET /api/v1/books', { json: { books: [], next_page_token: 'p2' } });
    const run = await runCli([registerBooksCommands], ['books', 'list', '--name', 'customer-support', '--limit', '10'], env);
    expect(run).toEqual({ code: 0, stdout: 'BOOK ID   NAME   VERSION   LIFECYCLE   CREATED\n', stderr: 'more: --page-token p2\n' });
    expect(server.requests[0]?.url).toBe('/api/v1/books?name=customer-support&page_size=10');
    const bad = await runCli([registerBooksCommands], ['books', 'list', '--limit', 'ten'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("option '--limit <n>' argument 'ten' is invalid. must be a whole number of at least 1");
  });
});
