import { describe, expect, it } from '@jest/globals';
import type { BookInstanceDefinition } from '@bdk/k8s';
import type { V1Secret } from '@kubernetes/client-node';
import { digestSecret, observeCredentials } from './credentials.js';

const id = { instanceId: 'i-1', bookId: 'b-1', bookName: 'support', customerNamespace: 'customer-acme', workloadName: 'support-i-1', instanceRef: 'bdk/acme', deploymentType: 'primary' as const };
const instance: BookInstanceDefinition = {
  apiVersion: 'bdk.voyager.io/v1',
  kind: 'BookInstanceDefinition',
  metadata: { name: 'acme', namespace: 'bdk' },
  spec: {
    bookRef: { name: 'support', version: '1.0.0' },
    customer: { namespace: 'customer-acme', organization_id: 'o' },
    credentials: [{ name: 'api_key', secretRef: { name: 'creds', key: 'api_key' } }],
  },
};
const secret = (value: string): V1Secret => ({ metadata: { name: 'creds', namespace: 'customer-acme', managedFields: [{ manager: 'x' }] }, data: { api_key: Buffer.from(value).toString('base64'), other: 'eA==' } });

describe('digestSecret', () => {
  it('keeps names and a SHA-256 of each value, never a value', () => {
    const digested = digestSecret(secret('s3cr3t-value'));
    expect(JSON.stringify(digested)).not.toContain(Buffer.from('s3cr3t-value').toString('base64'));
    expect(digested.data?.['api_key']).toMatch(/^[0-9a-f]{64}$/);
    expect(digested.metadata).not.toHaveProperty('managedFields');
    // Digesting a digested Secret changes nothing (the cache may apply it twice).
    expect(digestSecret(digested)).toEqual(digested);
  });
});

describe('observeCredentials', () => {
  const reader = (value: string | undefined) => async () => (value === undefined ? undefined : digestSecret(secret(value)));

  it('gives a digest that changes when a value is rotated and not otherwise', async () => {
    const first = await observeCredentials(id, instance, reader('one'));
    expect(first.observation).toMatchObject({ status: 'True', reason: 'SecretsFound' });
    expect((await observeCredentials(id, instance, reader('one'))).digest).toBe(first.digest);
    expect((await observeCredentials(id, instance, reader('two'))).digest).not.toBe(first.digest);
  });

  it('names the missing Secret or key', async () => {
    expect((await observeCredentials(id, instance, reader(undefined))).observation).toMatchObject({ status: 'False', reason: 'SecretNotFound', message: 'Secret customer-acme/creds not found' });
    const wrongKey = { ...instance, spec: { ...instance.spec, credentials: [{ name: 'token', secretRef: { name: 'creds', key: 'token' } }] } };
    expect((await observeCredentials(id, wrongKey, reader('one'))).observation).toMatchObject({ status: 'False', reason: 'SecretKeyMissing' });
  });

  it('is satisfied with no credentials at all', async () => {
    const none = await observeCredentials(id, { ...instance, spec: { ...instance.spec, credentials: [] } }, reader(undefined));
    expect(none).toEqual({ observation: { status: 'True', reason: 'NoCredentials', message: 'the instance declares no credentials' }, digest: '' });
  });
});
