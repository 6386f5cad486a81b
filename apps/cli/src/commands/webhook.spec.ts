import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateSigningSecret, verifySignature } from '@bdk/webhooks';
import { startRecordingServer, type RecordingServer } from '../../test/support/recording-server.js';
import { runCli } from '../../test/support/run-cli.js';
import { registerWebhookCommands } from './webhook.js';

// Indented and without a final newline: the signature covers these bytes exactly.
const payload = '{\n  "ticket": {"id": "12345", "subject": "Login issue"},\n  "timestamp": "2024-01-01T00:00:00Z"\n}';
let server: RecordingServer;
let dir = '';
let file = '';
let env: NodeJS.ProcessEnv = {};

beforeEach(async () => {
  server = await startRecordingServer();
  dir = await mkdtemp(path.join(tmpdir(), 'bdk-webhook-'));
  file = path.join(dir, 'payload.json');
  await writeFile(file, payload);
  env = { BDK_SERVER: server.url, BDK_TOKEN: 'acme-token', XDG_CONFIG_HOME: '/nonexistent' };
});

afterEach(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('bdk webhook send', () => {
  it("posts the file byte for byte to the instance's route, signed as the source signs, without the bearer token", async () => {
    const secret = generateSigningSecret();
    server.answer('POST /api/v1/webhooks/zendesk/instances/i-1', { json: { webhook_id: 'w-1', processed: true, routed_to: 'customer-acme/customer-support-1-0-0' } });
    const run = await runCli([registerWebhookCommands], ['webhook', 'send', '--instance', 'i-1', '--source', 'zendesk', '-f', file, '--secret', secret, '--event', 'ticket.created'], env);
    expect(run).toEqual({
      code: 0,
      stdout: 'WEBHOOK ID   PROCESSED   ROUTED TO                              REFUSED   DUPLICATE\nw-1          true        customer-acme/customer-support-1-0-0   -         -\n',
      stderr: '',
    });
    const [request] = server.requests;
    expect(request?.body.toString()).toBe(payload);
    expect(request?.headers).toMatchObject({ 'content-type': 'application/json', 'x-webhook-source': 'zendesk', 'x-webhook-event': 'ticket.created' });
    expect(request?.headers.authorization).toBeUndefined();
    const header = (name: string) => request?.headers[name] as string | undefined;
    expect(verifySignature({ scheme: 'zendesk', payload: request?.body ?? Buffer.alloc(0), header, secrets: [secret] })).toMatchObject({ ok: true });
    expect(verifySignature({ scheme: 'zendesk', payload: request?.body ?? Buffer.alloc(0), header, secrets: [generateSigningSecret()] })).toMatchObject({ ok: false });
  });

  it('signs with standard-webhooks for a source without a scheme of its own, or the --scheme given', async () => {
    const secret = generateSigningSecret();
    server.answer('POST /api/v1/webhooks/crm/instances/i-1', { json: { webhook_id: 'w-2', processed: true } });
    expect((await runCli([registerWebhookCommands], ['webhook', 'send', '--instance', 'i-1', '--source', 'crm', '-f', file, '--secret', secret], env)).code).toBe(0);
    const header = (name: string) => server.requests[0]?.headers[name] as string | undefined;
    expect(verifySignature({ scheme: 'standard-webhooks', payload: Buffer.from(payload), header, secrets: [secret] })).toMatchObject({ ok: true });
    const badScheme = await runCli([registerWebhookCommands], ['webhook', 'send', '--instance', 'i-1', '--source', 'crm', '-f', file, '--secret', secret, '--scheme', 'md5'], env);
    expect(badScheme.code).toBe(1);
    expect(badScheme.stderr).toContain("option '--scheme <scheme>' argument 'md5' is invalid. must be one of github, zendesk, slack, stripe, standard-webhooks");
  });

  it("reports the router's refusal with its code", async () => {
    server.answer('POST /api/v1/webhooks/zendesk/instances/i-1', { status: 401, json: { code: 16, message: 'signature_mismatch: the signature does not match' } });
    const run = await runCli([registerWebhookCommands], ['webhook', 'send', '--instance', 'i-1', '--source', 'zendesk', '-f', file, '--secret', generateSigningSecret()], env);
    expect(run).toEqual({ code: 1, stdout: '', stderr: 'Error: HTTP 401 UNAUTHENTICATED: signature_mismatch: the signature does not match\n' });
  });
});
