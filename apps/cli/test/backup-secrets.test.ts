// What a backup holds and what it refuses, against a real kube-apiserver and the router's real stores (a SQLite
// file as the source, a real nats-server as the target): without --include-credentials no credential value is in
// the archive, even decrypted; the ids of objects applied with kubectl (their uids) survive into a new cluster as
// labels; the delivery log moves from one back end to the other; a wrong passphrase, a missing one, and credentials
// without one fail cleanly, with a message and no stack trace.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startKubeEnv, startNatsServer, Teardown, workspaceRoot, type KubeEnv, type RunningNatsServer } from '@bdk/testing';
import { bdkLabels, bdkResources, secretPurposes, type BookDefinition, type BookInstanceDefinition } from '@bdk/k8s';
import { CoreV1Api } from '@kubernetes/client-node';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { openArchive } from '../src/backup/archive-crypto.js';
import { openDeliveryStoreAt } from '../src/backup/delivery-store-location.js';
import { runAdmin } from './backup-cli.js';

const credentialValue = 'sk_live_credential_that_must_not_leak';
const signingValue = 'whsec_signing_value_that_must_survive';
const organization = 'org-secrets';
const customerNamespace = 'customer-secrets';

const teardown = new Teardown();
let source: KubeEnv;
let target: KubeEnv;
let nats: RunningNatsServer;
let work: string;
let sqlitePath: string;
let passphraseFile: string;
let bookUid: string;
let instanceUid: string;
let deliveredId: string;
let owedId: string;

async function example<T>(file: string): Promise<T> {
  const { status: _status, ...object } = parse(await readFile(path.join(workspaceRoot, 'charts/bdk/examples', file), 'utf8')) as T & { status?: unknown };
  return object as T;
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'bdk-backup-secrets-'));
  teardown.add(work, () => rm(work, { recursive: true, force: true }));
  passphraseFile = path.join(work, 'passphrase');
  await writeFile(passphraseFile, 'the right passphrase\n');
  [source, target, nats] = await Promise.all([startKubeEnv(), startKubeEnv(), startNatsServer()]);
  teardown.add('the source cluster', () => source.stop());
  teardown.add('the target cluster', () => target.stop());
  teardown.add('nats-server', () => nats.stop());

  // The source: objects as kubectl applies them (no id labels yet), the customer namespace and both Secrets.
  const core = source.kubeConfig.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: 'bdk' } } });
  await core.createNamespace({
    body: { metadata: { name: customerNamespace, labels: { [bdkLabels.managedBy]: 'bdk', [bdkLabels.organizationId]: organization } } },
  });
  const secretLabels = (purpose: string) => ({ [bdkLabels.managedBy]: 'bdk', [bdkLabels.organizationId]: organization, [bdkLabels.secretPurpose]: purpose });
  await core.createNamespacedSecret({
    namespace: customerNamespace,
    body: { metadata: { name: 'credentials', labels: secretLabels(secretPurposes.credentials) }, stringData: { zendesk_api_key: credentialValue } },
  });
  await core.createNamespacedSecret({
    namespace: customerNamespace,
    body: { metadata: { name: 'webhook-signing', labels: secretLabels(secretPurposes.webhookSigning) }, stringData: { zendesk: JSON.stringify({ current: signingValue }) } },
  });
  const resources = bdkResources(source.kubeConfig);
  const instance = await example<BookInstanceDefinition>('book-instance-definition.yaml');
  instance.spec.customer = { namespace: customerNamespace, organization_id: organization };
  bookUid = (await resources.books.create('bdk', await example<BookDefinition>('book-definition.yaml'))).metadata.uid ?? '';
  instanceUid = (await resources.instances.create('bdk', instance)).metadata.uid ?? '';

  // The router's SQLite file with one delivered webhook and one still owed.
  sqlitePath = path.join(work, 'deliveries.sqlite');
  const store = await openDeliveryStoreAt({ kind: 'sqlite', path: sqlitePath }, { mustExist: false });
  const targets = [{ namespace: 'bdk', name: 'acme-customer-support', instanceId: instanceUid, routedTo: `${customerNamespace}/customer-support` }];
  const delivery = (webhookId: string) => ({
    webhookId,
    organizationId: organization,
    source: 'zendesk',
    event: 'ticket.created',
    contentType: 'application/json',
    payload: Buffer.from(`{"ticket":"${webhookId}"}`),
    headers: { 'x-webhook-event': 'ticket.created' },
    targets,
    receivedAt: new Date(),
  });
  deliveredId = '01a21e54-0000-7000-8000-000000000001';
  owedId = '01a21e54-0000-7000-8000-000000000002';
  for (const id of [deliveredId, owedId]) await store.accept(delivery(id), { leaseMs: 60_000, idempotencyWindowMs: 60_000 });
  await store.recordAttempt(deliveredId, 0, { at: new Date(), target: 0, httpStatus: 202, latencyMs: 5, error: '' }, { state: 'delivered' });
  await store.recordAttempt(owedId, 0, { at: new Date(), target: 0, httpStatus: 503, latencyMs: 5, error: 'book answered HTTP 503' }, {
    state: 'failed',
    nextAttemptAt: new Date(Date.now() + 3_600_000),
  });
  await store.close();
}, 120_000);

afterAll(() => teardown.run(), 60_000);

describe('bdk admin backup without credentials', () => {
  it('holds the signing secret but no credential value, even decrypted; a restore keeps ids and moves the delivery log to NATS', async () => {
    const archive = path.join(work, 'no-credentials.backup');
    const backup = await runAdmin([
      'backup',
      '--out',
      archive,
      '--kubeconfig',
      source.kubeconfigPath,
      '--delivery-store',
      `sqlite:${sqlitePath}`,
      '--passphrase-file',
      passphraseFile,
    ]);
    expect(backup).toMatchObject({ code: 0, stderr: '' });
    expect(backup.stdout).toMatch(/1 books, 1 instances, 1 customer namespaces, 1 Secrets \(no credentials\), 2 deliveries, encrypted/);

    const decrypted = await openArchive(await readFile(archive), 'the right passphrase');
    const base64 = (value: string) => Buffer.from(value).toString('base64');
    for (const text of [decrypted, (await readFile(archive)).toString('latin1')]) {
      expect(text).not.toContain(credentialValue);
      expect(text).not.toContain(base64(credentialValue));
    }
    expect(decrypted).toContain(base64(JSON.stringify({ current: signingValue })));

    const restore = await runAdmin([
      'restore',
      '--in',
      archive,
      '--kubeconfig',
      target.kubeconfigPath,
      '--delivery-store',
      nats.url,
      '--passphrase-file',
      passphraseFile,
    ]);
    expect(restore.code).toBe(0);
    expect(restore.stderr).toContain('the archive holds no credentials: instances that need them wait (CredentialsAvailable=False, SecretNotFound)');

    // New uids in the new cluster, the old ones kept as the id labels the API selects by.
    const resources = bdkResources(target.kubeConfig);
    const book = await resources.books.get('bdk', 'customer-support-book');
    const instance = await resources.instances.get('bdk', 'acme-customer-support');
    expect(book.metadata.uid).not.toBe(bookUid);
    expect(book.metadata.labels?.[bdkLabels.bookId]).toBe(bookUid);
    expect(instance.metadata.labels?.[bdkLabels.instanceId]).toBe(instanceUid);
    expect(instance.metadata.finalizers ?? []).toEqual([]);
    const core = target.kubeConfig.makeApiClient(CoreV1Api);
    expect((await core.readNamespace({ name: customerNamespace })).metadata?.labels?.[bdkLabels.organizationId]).toBe(organization);
    const secrets = await core.listNamespacedSecret({ namespace: customerNamespace, labelSelector: bdkLabels.secretPurpose });
    expect(secrets.items.map((secret) => secret.metadata?.name)).toEqual(['webhook-signing']);

    // The delivery log, read through the NATS store as the router would.
    const [from, to] = await Promise.all([
      openDeliveryStoreAt({ kind: 'sqlite', path: sqlitePath }, { mustExist: true }),
      openDeliveryStoreAt({ kind: 'nats', servers: nats.url }, { mustExist: true }),
    ]);
    try {
      for (const id of [deliveredId, owedId]) expect(await to.get(organization, id)).toEqual(await from.get(organization, id));
      expect(await to.get(organization, owedId)).toMatchObject({ state: 'failed', attempts: 1, lastError: 'book answered HTTP 503' });
    } finally {
      await Promise.all([from.close(), to.close()]);
    }
  }, 120_000);
});

describe('bdk admin refusals', () => {
  it('refuses --include-credentials without a passphrase, and writes nothing', async () => {
    const archive = path.join(work, 'refused.backup');
    const run = await runAdmin(['backup', '--out', archive, '--kubeconfig', source.kubeconfigPath, '--include-credentials']);
    expect(run).toEqual({ code: 2, stdout: '', stderr: 'Error: --include-credentials needs --passphrase-file: credential values are never written unencrypted\n' });
    expect(existsSync(archive)).toBe(false);
  });

  it('fails cleanly on a wrong or a missing passphrase, before touching the cluster', async () => {
    const archive = path.join(work, 'with-credentials.backup');
    expect(
      (await runAdmin(['backup', '--out', archive, '--kubeconfig', source.kubeconfigPath, '--include-credentials', '--passphrase-file', passphraseFile])).code,
    ).toBe(0);
    const wrongFile = path.join(work, 'wrong');
    await writeFile(wrongFile, 'not the passphrase\n');
    const wrong = await runAdmin(['restore', '--in', archive, '--kubeconfig', source.kubeconfigPath, '--passphrase-file', wrongFile]);
    expect(wrong).toEqual({ code: 1, stdout: '', stderr: 'Error: the passphrase does not open this archive, or the file has been changed\n' });
    const missing = await runAdmin(['restore', '--in', archive, '--kubeconfig', source.kubeconfigPath]);
    expect(missing).toEqual({ code: 1, stdout: '', stderr: 'Error: the archive is encrypted: give its passphrase (--passphrase-file)\n' });
    // With the right one, this archive does hold the credential.
    expect(await openArchive(await readFile(archive), 'the right passphrase')).toContain(Buffer.from(credentialValue).toString('base64'));
  });
});
