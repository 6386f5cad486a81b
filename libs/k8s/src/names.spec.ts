import { describe, expect, it } from '@jest/globals';
import { bookDefinitionName, bookInstanceName, bookWorkloadName, credentialEnvName, credentialSecretKey, credentialsSecretName } from './names.js';

const instanceId = '3f2a9c1d-0b6e-4c2a-9d7e-5a1b2c3d4e5f';
const dnsLabel = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

describe('bookDefinitionName', () => {
  it('joins name and version as one DNS label', () => {
    expect(bookDefinitionName('customer-support', '1.0.0')).toBe('customer-support-1-0-0');
    expect(bookDefinitionName('Customer-Support', '1.2.0-RC.1+build.7')).toBe('customer-support-1-2-0-rc-1-build-7');
  });

  it('keeps the version whole when the name is long', () => {
    const name = bookDefinitionName('a'.repeat(63), '10.20.30');
    expect(name).toHaveLength(63);
    expect(name.endsWith('-10-20-30')).toBe(true);
    expect(name).toMatch(dnsLabel);
  });
});

describe('bookInstanceName', () => {
  it('names the customer, the book and the instance', () => {
    expect(bookInstanceName('customer-acme', 'customer-support', instanceId)).toBe('customer-acme-customer-support-3f2a9c1d');
  });

  it('stays a DNS label for long inputs', () => {
    const name = bookInstanceName('c'.repeat(63), 'b'.repeat(63), instanceId);
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(dnsLabel);
    expect(name.endsWith('-3f2a9c1d')).toBe(true);
  });
});

describe('bookWorkloadName and credentialsSecretName', () => {
  it('derive the customer-namespace names from book name and instance id', () => {
    expect(bookWorkloadName('customer-support', instanceId)).toBe('customer-support-3f2a9c1d');
    expect(credentialsSecretName('customer-support', instanceId)).toBe('customer-support-3f2a9c1d-credentials');
    expect(bookWorkloadName('x'.repeat(80), instanceId)).toMatch(dnsLabel);
  });
});

describe('credentialEnvName and credentialSecretKey', () => {
  it('turn a credential name into an env var and a Secret key', () => {
    expect(credentialEnvName('zendesk_api_key')).toBe('ZENDESK_API_KEY');
    expect(credentialEnvName('slack-bot.token')).toBe('SLACK_BOT_TOKEN');
    expect(credentialEnvName('1password')).toBe('_1PASSWORD');
    expect(credentialSecretKey('zendesk_api_key')).toBe('zendesk_api_key');
    expect(credentialSecretKey('a b/c')).toBe('a_b_c');
  });
});
