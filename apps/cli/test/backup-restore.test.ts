// `bdk admin backup` and `bdk admin restore` as an operator runs them, round trip: the local stack (what `npm start`
// runs) on a real cluster A (kube-apiserver, controller-manager, scheduler, kwok's Nodes); a book and an instance
// made through the gateway, a webhook delivered; a backup; everything stopped. Then a new cluster B and a new
// delivery store, the restore, and the stack started on them: the same ids through the API, the instance Ready, the
// delivery listed with its id and state, and the old signing secret still accepted. Needs
// `nx run-many -t build -p library-service,book-controller,webhook-router,tooling`.
import { afterAll, describe, expect, it } from '@jest/globals';
import {
  seedCreateBookRequest,
  seedCreateInstanceRequest,
  seedWebhookBody,
  seedWebhookHeaders,
  startBookEndpoint,
  startKubeEnv,
  startLocalStack,
  Teardown,
  waitUntil,
  workspaceRoot,
  type LocalStack,
} from '@bdk/testing';
import { signPayload } from '@bdk/webhooks';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openArchive } from '../src/backup/archive-crypto.js';
import { runAdmin } from './backup-cli.js';

const required = [
  'dist/tools/local-stack/main.js',
  'dist/tools/token.js',
  ...['library-service', 'book-controller', 'webhook-router'].map((app) => `dist/apps/${app}/main.js`),
].map((file) => path.join(workspaceRoot, file));

const teardown = new Teardown();
afterAll(() => teardown.run(), 120_000);

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  teardown.add(dir, () => rm(dir, { recursive: true, force: true }));
  return dir;
}

function tokenFor(stateDir: string, ...args: string[]): string {
  return execFileSync(process.execPath, [path.join(workspaceRoot, 'dist/tools/token.js'), ...args], {
    env: { ...process.env, BDK_LOCAL_STACK_DIR: stateDir },
    encoding: 'utf8',
  }).trim();
}

async function call(url: string, bearer: string, method = 'GET', body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

async function stopStack(stack: LocalStack): Promise<void> {
  process.kill(stack.process.pid, 'SIGTERM');
  expect(await stack.process.exited).toBe(0);
}

describe('bdk admin backup and restore', () => {
  it('restores books, instances, signing secrets and the delivery log into a new cluster: same ids, Ready, old secret accepted', async () => {
    for (const file of required) {
      if (!existsSync(file)) throw new Error(`${file} is missing: run \`npx nx run-many -t build -p library-service,book-controller,webhook-router,tooling\``);
    }
    const book = await startBookEndpoint();
    teardown.add('the book endpoint', () => book.close());
    const bookUrlTemplate = `http://127.0.0.1:${book.port}/{namespace}/{service}`;
    const work = await tempDir('bdk-backup-test-');
    const archive = path.join(work, 'bdk.backup');
    const passphraseFile = path.join(work, 'passphrase');
    await writeFile(passphraseFile, 'a long passphrase for the test\n', { mode: 0o600 });

    // Cluster A, the stack on it, and the state to keep.
    const clusterA = await startKubeEnv({ workloads: true });
    teardown.add('cluster A', () => clusterA.stop());
    const stateA = await tempDir('bdk-backup-state-a-');
    const env = (kubeconfig: string) => ({ ...process.env, KUBECONFIG: kubeconfig, BDK_LOCAL_DELIVERY_STORE: 'sqlite', BDK_BOOK_URL_TEMPLATE: bookUrlTemplate });
    const stackA = await startLocalStack({ stateDir: stateA, env: env(clusterA.kubeconfigPath) });
    teardown.add('stack A', () => stackA.stop());
    const adminA = tokenFor(stateA, '--admin');
    const memberA = tokenFor(stateA, '--org', 'org-backup');

    const integrations = [{ name: 'zendesk', type: 'webhook', config: { endpoint: '/webhooks/zendesk' } }];
    const createdBook = await call(`${stackA.gatewayUrl}/api/v1/books`, adminA, 'POST', { ...seedCreateBookRequest, integrations });
    expect(createdBook.status).toBe(201);
    const bookId = String(createdBook.json['book_id']);
    const createdInstance = await call(`${stackA.gatewayUrl}/api/v1/books/${bookId}/instances`, memberA, 'POST', {
      ...seedCreateInstanceRequest,
      customer_namespace: 'customer-backup',
      organization_id: 'org-backup',
    });
    expect(createdInstance.status).toBe(201);
    const instanceId = String(createdInstance.json['instance_id']);
    const signingSecret = (createdInstance.json['webhooks'] as { signing_secret: string }[])[0]?.signing_secret ?? '';
    expect(signingSecret).toMatch(/^whsec_/);
    const instanceUrl = (gateway: string) => `${gateway}/api/v1/books/${bookId}/instances/${instanceId}`;
    const ready = async (gateway: string, token: string) => JSON.stringify((await call(instanceUrl(gateway), token)).json).includes('"phase":"Ready"');
    await waitUntil('the instance to be Ready in cluster A', () => ready(stackA.gatewayUrl, memberA), { timeoutMs: 90_000, intervalMs: 500 });

    const sendWebhook = (gateway: string) =>
      fetch(`${gateway}/api/v1/webhooks/zendesk/instances/${instanceId}`, {
        method: 'POST',
        headers: { ...seedWebhookHeaders, ...signPayload({ scheme: 'zendesk', payload: Buffer.from(seedWebhookBody), secret: signingSecret }) },
        body: seedWebhookBody,
      });
    const sent = await sendWebhook(stackA.gatewayUrl);
    expect(sent.status).toBe(200);
    const webhookId = ((await sent.json()) as { webhook_id: string }).webhook_id;
    const deliveryOf = async (gateway: string, token: string) =>
      (await call(`${gateway}/api/v1/webhooks/deliveries/${webhookId}`, token)).json['delivery'] as { webhook_id: string; state: string } | undefined;
    await waitUntil('the webhook to be delivered in cluster A', async () => (await deliveryOf(stackA.gatewayUrl, memberA))?.state === 'delivered', {
      timeoutMs: 30_000,
      intervalMs: 250,
    });
    const deliveredBefore = await deliveryOf(stackA.gatewayUrl, memberA);

    const backup = await runAdmin([
      'backup',
      '--out',
      archive,
      '--kubeconfig',
      clusterA.kubeconfigPath,
      '--delivery-store',
      `sqlite:${path.join(stateA, 'webhook-router', 'deliveries.sqlite')}`,
      '--include-credentials',
      '--passphrase-file',
      passphraseFile,
    ]);
    expect(backup).toMatchObject({ code: 0 });
    expect(backup.stdout).toMatch(/1 books, 1 instances, .*credentials included.*1 deliveries, encrypted/);
    expect((await readFile(archive)).includes(signingSecret)).toBe(false);
    // What the archive holds, decrypted: the signing secret is there (it must verify senders after the restore).
    const held = JSON.parse(await openArchive(await readFile(archive), 'a long passphrase for the test')) as { secrets: { data: Record<string, string> }[] };
    const values = held.secrets.flatMap((secret) => Object.values(secret.data).map((value) => Buffer.from(value, 'base64').toString('utf8')));
    expect(values.join('\n')).toContain(signingSecret);

    await stopStack(stackA);
    await clusterA.stop();

    // Cluster B and a state dir of its own: a new delivery store, written by the restore before the stack starts.
    const clusterB = await startKubeEnv({ workloads: true });
    teardown.add('cluster B', () => clusterB.stop());
    const stateB = await tempDir('bdk-backup-state-b-');
    const restoreArgs = [
      'restore',
      '--in',
      archive,
      '--kubeconfig',
      clusterB.kubeconfigPath,
      '--delivery-store',
      `sqlite:${path.join(stateB, 'webhook-router', 'deliveries.sqlite')}`,
      '--passphrase-file',
      passphraseFile,
    ];
    const restored = await runAdmin(restoreArgs);
    expect(restored).toMatchObject({ code: 0 });
    expect(restored.stdout).toMatch(/restored into namespace bdk: 1 books, 1 instances, 1 customer namespaces, 2 Secrets, 1 deliveries/);

    // A second restore into the same cluster is refused, naming what is there, and writes nothing.
    const again = await runAdmin(restoreArgs);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already holds BDK state.*BookDefinition customer-support-1-0-0/);

    const stackB = await startLocalStack({ stateDir: stateB, env: env(clusterB.kubeconfigPath) });
    teardown.add('stack B', () => stackB.stop());
    const memberB = tokenFor(stateB, '--org', 'org-backup');

    const bookB = await call(`${stackB.gatewayUrl}/api/v1/books/${bookId}`, memberB);
    expect(bookB.status).toBe(200);
    await waitUntil('the restored instance to be Ready in cluster B', () => ready(stackB.gatewayUrl, memberB), { timeoutMs: 90_000, intervalMs: 500 });
    const instances = await call(`${stackB.gatewayUrl}/api/v1/books/${bookId}/instances`, memberB);
    expect((instances.json['instances'] as { instance_id: string }[]).map((each) => each.instance_id)).toEqual([instanceId]);

    expect(await deliveryOf(stackB.gatewayUrl, memberB)).toMatchObject({ webhook_id: webhookId, state: 'delivered' });
    expect(await deliveryOf(stackB.gatewayUrl, memberB)).toEqual(deliveredBefore);

    // The sender keeps its secret: a webhook signed with it now is accepted and reaches the book.
    const received = book.requests.length;
    const after = await sendWebhook(stackB.gatewayUrl);
    expect(after.status).toBe(200);
    expect(await after.json()).toMatchObject({ processed: true });
    expect(book.requests.slice(received).map((request) => request.body.toString('utf8'))).toContain(seedWebhookBody);

    await stopStack(stackB);
  }, 600_000);
});
