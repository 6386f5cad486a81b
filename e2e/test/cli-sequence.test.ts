// The spec's sequence through the `bdk` CLI, run as a user runs it (the built bundle through the checkout's bdk
// launcher, a child process per command) against the local stack's REST gateway: log in, publish the chart's
// example book, create the chart's example instance, wait for it to be Ready, send a webhook signed with its
// secret, and find the delivery in the list; errors name the field and exit non-zero.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { issueToken, localAuthDir, organizationPermissions, platformAdminPermissions, readLocalSigningKey } from '@bdk/auth';
import { seedWebhookBody, setNodesSchedulable, startBookEndpoint, waitUntil, workspaceRoot, type ReceivedRequest } from '@bdk/testing';
import { startStack, type Stack } from './support/local-stack.js';

const launcher = path.join(workspaceRoot, 'apps/cli/bin/bdk.js');
const bundle = path.join(workspaceRoot, 'dist/apps/cli/main.js');
const bookExample = path.join(workspaceRoot, 'charts/bdk/examples/book-definition.yaml');
const instanceExample = path.join(workspaceRoot, 'charts/bdk/examples/book-instance-definition.yaml');
/** The organisation of the chart's example instance. */
const organization = 'org-uuid-123';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A test's time for `count` bdk processes: each starts Node and loads the bundle, seconds apiece when other
 *  suites share the machine's cores. */
const commandsTimeout = (count: number) => 30_000 + count * 20_000;

const closers: (() => Promise<unknown>)[] = [];
let stack: Stack;
let configHome = '';
let payloadFile = '';
let bookRequests: ReceivedRequest[] = [];
let kubeConfig: KubeConfig;
let nodes: string[] = [];
const tokens = { admin: '', acme: '' };

/** Runs `bdk args…` with its own config dir; `onStdout` sees its output as it comes. */
function bdk(args: string[], onStdout?: (text: string) => void): Promise<Run> {
  const { BDK_TOKEN: _token, BDK_SERVER: _server, ...env } = process.env;
  const child = spawn(process.execPath, [launcher, ...args], { env: { ...env, XDG_CONFIG_HOME: configHome }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    onStdout?.(stdout);
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  // The e2e project's build dependencies are the three apps and the tooling; the CLI's bundle is made here when a
  // checkout has none yet (esbuild, about a second).
  if (!existsSync(bundle)) execFileSync(process.execPath, [path.join(workspaceRoot, 'tools/build.js'), 'apps/cli', 'app'], { cwd: workspaceRoot, stdio: 'inherit' });
  configHome = await mkdtemp(path.join(tmpdir(), 'bdk-cli-e2e-'));
  closers.push(() => rm(configHome, { recursive: true, force: true }));
  payloadFile = path.join(configHome, 'payload.json');
  await writeFile(payloadFile, seedWebhookBody);
  const book = await startBookEndpoint();
  closers.push(() => book.close());
  bookRequests = book.requests;
  const { KUBECONFIG: _ownCluster, ...env } = process.env;
  stack = await startStack({ ...env, BDK_BOOK_URL_TEMPLATE: `http://127.0.0.1:${book.port}/{namespace}/{service}` });
  closers.push(() => stack.stop());
  const key = await readLocalSigningKey(localAuthDir(stack.stateDir));
  if (!key) throw new Error('the local stack wrote no signing key');
  tokens.admin = await issueToken({ key, issuer: key.issuer, audience: key.audience, subject: 'platform-admin', permissions: platformAdminPermissions });
  tokens.acme = await issueToken({ key, issuer: key.issuer, audience: key.audience, subject: 'alice', organizationId: organization, permissions: organizationPermissions });
  kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(stack.kubeconfig);
  // The book's Pods wait to be scheduled until `instances wait` has shown the instance Pending.
  nodes = (await kubeConfig.makeApiClient(CoreV1Api).listNode()).items.map((node) => node.metadata?.name ?? '');
  await setNodesSchedulable(kubeConfig, nodes, false);
}, 200_000);

afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

describe("the spec's sequence through bdk", () => {
  let bookId = '';
  let instanceId = '';
  let signingSecret = '';
  let webhookId = '';

  it('logs in: the token is checked with the gateway and saved for the next commands', async () => {
    const login = await bdk(['login', '--token', tokens.acme, '--server', stack.gatewayUrl]);
    expect(login).toMatchObject({ code: 0, stderr: '' });
    expect(login.stdout).toContain(`Logged in to ${stack.gatewayUrl} as alice of organisation ${organization}`);
    expect(login.stdout).not.toContain(tokens.acme);
   }, commandsTimeout(1));

  it("books create -f publishes the chart's BookDefinition (with the admin's token)", async () => {
    const refused = await bdk(['books', 'create', '-f', bookExample]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^Error: HTTP 403 PERMISSION_DENIED: /);

    const created = await bdk(['--token', tokens.admin, 'books', 'create', '-f', bookExample, '-o', 'json']);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    const book = JSON.parse(created.stdout) as Record<string, string>;
    expect(book).toMatchObject({ name: 'customer-support', version: '1.0.0' });
    bookId = book['book_id'] ?? '';

    const listed = await bdk(['books', 'list']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^BOOK ID\\s+NAME\\s+VERSION\\s+LIFECYCLE\\s+CREATED\\n${bookId}\\s+customer-support\\s+1\\.0\\.0\\s+active\\s+\\S+Z\\n$`));
  }, commandsTimeout(3));

  it("instances create -f names the field the server refuses, then creates the chart's instance", async () => {
    // The example resource holds no credential values: the server names the first one missing.
    const refused = await bdk(['instances', 'create', '-f', instanceExample, '--book', bookId]);
    expect(refused).toMatchObject({ code: 1, stdout: '' });
    expect(refused.stderr).toMatch(/^Error: HTTP 400 INVALID_ARGUMENT: credentials\[0\]\.value: /);

    const created = await bdk(['instances', 'create', '-f', instanceExample, '--book', bookId, '--credential', 'zendesk_api_key=zk-123', '--credential', 'slack_bot_token=xoxb-123', '-o', 'json']);
    expect(created.code).toBe(0);
    const instance = JSON.parse(created.stdout) as { instance_id: string; status: string; customer_namespace: string; webhooks: { source: string; url: string; signing_secret: string }[] };
    expect(instance).toMatchObject({ book_id: bookId, customer_namespace: 'customer-acme', status: 'Pending' });
    instanceId = instance.instance_id;
    expect(instance.webhooks).toEqual([expect.objectContaining({ source: 'zendesk', url: `${stack.gatewayUrl}/api/v1/webhooks/zendesk/instances/${instanceId}` })]);
    signingSecret = instance.webhooks[0]?.signing_secret ?? '';
    expect(signingSecret).toMatch(/^whsec_/);
  }, commandsTimeout(2));

  it('instances wait exits 2 on timeout, then shows the instance going from Pending to Ready and exits 0', async () => {
    const timedOut = await bdk(['instances', 'wait', instanceId, '--book', bookId, '--timeout', '1s', '--interval', '200ms']);
    expect(timedOut.code).toBe(2);
    expect(timedOut.stdout).toMatch(/^phase=Pending/);
    expect(timedOut.stdout).toContain(`instance ${instanceId}: not Ready after 1s\n`);

    let uncordoned: Promise<void> | undefined;
    const result = await bdk(['instances', 'wait', instanceId, '--book', bookId, '--for', 'Ready', '--timeout', '3m', '--interval', '500ms'], (stdout) => {
      if (!uncordoned && stdout.includes('phase=Pending')) uncordoned = setNodesSchedulable(kubeConfig, nodes, true);
    });
    expect(uncordoned).toBeDefined();
    await uncordoned;
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^phase=Pending /);
    expect(lines.at(-2)).toMatch(/^phase=Ready replicas=2\/2 /);
    expect(lines.at(-1)).toBe(`instance ${instanceId}: Ready`);

    const listed = await bdk(['instances', 'list', '--book', bookId]);
    expect(listed.stdout).toMatch(new RegExp(`\\n${instanceId}\\s+\\S+\\s+customer-acme\\s+Ready\\s+2/2\\s`));
  }, commandsTimeout(3) + 180_000);

  it("webhook send signs the payload with the instance's secret; the book receives it byte for byte", async () => {
    const wrong = await bdk(['webhook', 'send', '--instance', instanceId, '--source', 'zendesk', '-f', payloadFile, '--secret', `whsec_${Buffer.alloc(32, 1).toString('base64')}`]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^Error: HTTP 401 UNAUTHENTICATED: /);

    const before = bookRequests.length;
    const sent = await bdk(['webhook', 'send', '--instance', instanceId, '--source', 'zendesk', '-f', payloadFile, '--secret', signingSecret, '--event', 'ticket.created', '-o', 'json']);
    expect(sent).toMatchObject({ code: 0, stderr: '' });
    const answer = JSON.parse(sent.stdout) as { webhook_id: string; processed: boolean; routed_to: string };
    expect(answer).toMatchObject({ processed: true, routed_to: expect.stringMatching(/^customer-acme\//) });
    webhookId = answer.webhook_id;
    await waitUntil('the book to receive the webhook', () => bookRequests.slice(before).find((request) => request.body.toString('utf8') === seedWebhookBody), {
      timeoutMs: 60_000,
      intervalMs: 250,
    });
  }, commandsTimeout(2) + 60_000);

  it('deliveries list shows the delivery; deliveries get shows its target', async () => {
    const delivered = await waitUntil(
      'the delivery listed as delivered',
      async () => {
        const listed = await bdk(['deliveries', 'list', '-o', 'json']);
        const deliveries = (JSON.parse(listed.stdout) as { deliveries?: { webhook_id: string; state: string }[] }).deliveries ?? [];
        return deliveries.find((delivery) => delivery.webhook_id === webhookId && delivery.state === 'delivered');
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    expect(delivered).toMatchObject({ webhook_id: webhookId, source: 'zendesk', event: 'ticket.created' });

    const table = await bdk(['deliveries', 'list', '--source', 'zendesk']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`\\n${webhookId}\\s+zendesk\\s+ticket\\.created\\s+delivered\\s+1\\s+customer-acme/`));
    const one = await bdk(['deliveries', 'get', webhookId]);
    expect(one.stdout).toContain(`INSTANCE ID`);
    expect(one.stdout).toMatch(new RegExp(`\\n${instanceId}\\s+customer-acme/\\S+\\s+delivered\\s+1`));
  }, commandsTimeout(2) + 120_000);

  it('a missing instance is 404 NOT_FOUND with exit 1; deleting cleans up', async () => {
    const missing = await bdk(['instances', 'get', '00000000-0000-4000-8000-000000000000', '--book', bookId]);
    expect(missing).toMatchObject({ code: 1, stdout: '' });
    expect(missing.stderr).toMatch(/^Error: HTTP 404 NOT_FOUND: /);
    expect((await bdk(['instances', 'delete', instanceId, '--book', bookId])).stdout).toBe(`instance ${instanceId} deleted\n`);
  }, commandsTimeout(2));
});
