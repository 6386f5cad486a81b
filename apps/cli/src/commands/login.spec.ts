import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startRecordingServer, type RecordingServer } from '../../test/support/recording-server.js';
import { runCli } from '../../test/support/run-cli.js';
import { registerBooksCommands } from './books.js';
import { registerLoginCommands } from './login.js';

const commands = [registerLoginCommands, registerBooksCommands];
/** A JWT's shape with readable claims; the gateway stand-in does not verify it. */
const token = ['e30', Buffer.from(JSON.stringify({ sub: 'alice', org_id: 'org-uuid-123', exp: 2_000_000_000 })).toString('base64url'), 'c2ln'].join('.');

let server: RecordingServer;
let configHome = '';
let env: NodeJS.ProcessEnv = {};

beforeEach(async () => {
  server = await startRecordingServer();
  configHome = await mkdtemp(path.join(tmpdir(), 'bdk-login-'));
  env = { XDG_CONFIG_HOME: configHome };
});

afterEach(async () => {
  await server.close();
  await rm(configHome, { recursive: true, force: true });
});

describe('bdk login', () => {
  it('checks the token with the gateway, saves it, and later commands send it', async () => {
    server.answer('GET /api/v1/books', { json: { books: [{ book_id: 'b-1', name: 'customer-support', version: '1.0.0' }] } });
    const login = await runCli(commands, ['login', '--token', token, '--server', server.url], env);
    expect(login).toEqual({ code: 0, stdout: expect.stringContaining(`Logged in to ${server.url} as alice of organisation org-uuid-123 until 2033-05-18`), stderr: '' });
    expect(login.stdout).not.toContain(token);
    const file = path.join(configHome, 'bdk', 'config.json');
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ server: server.url, token });

    const list = await runCli(commands, ['books', 'list'], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^BOOK ID\s+NAME\s+VERSION\s+LIFECYCLE\s+CREATED\nb-1\s+customer-support\s+1\.0\.0\s+active\s+-\n$/);
    expect(server.requests.map((request) => [request.url, request.headers.authorization])).toEqual([
      ['/api/v1/books?page_size=1', `Bearer ${token}`],
      ['/api/v1/books', `Bearer ${token}`],
    ]);
  });

  it('reads the token from stdin', async () => {
    server.answer('GET /api/v1/books', { json: {} });
    const login = await runCli(commands, ['login', '--server', server.url], env, `${token}\n`);
    expect(login.code).toBe(0);
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${token}`);
  });

  it('saves nothing when the gateway refuses the token, and says why', async () => {
    server.answer('GET /api/v1/books', { status: 401, json: { code: 16, message: 'the bearer token has expired' } });
    const login = await runCli(commands, ['login', '--token', token, '--server', server.url], env);
    expect(login).toEqual({ code: 1, stdout: '', stderr: 'Error: HTTP 401 UNAUTHENTICATED: the bearer token has expired\n' });
    await expect(readFile(path.join(configHome, 'bdk', 'config.json'))).rejects.toThrow('ENOENT');
  });

  it('needs a token', async () => {
    const login = await runCli(commands, ['login', '--server', server.url], env);
    expect(login).toEqual({ code: 1, stdout: '', stderr: 'Error: --token: required (or pipe the token on stdin)\n' });
  });
});
