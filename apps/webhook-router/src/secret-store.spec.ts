import { describe, expect, it } from '@jest/globals';
import { readWebhookSecrets } from './secret-store.js';

describe('readWebhookSecrets', () => {
  it('reads each source secret from BDK_WEBHOOK_SECRET_<SOURCE>', () => {
    const secrets = readWebhookSecrets({ BDK_WEBHOOK_SECRET_GITHUB: 'gh', BDK_WEBHOOK_SECRET_MY_CRM: 'crm', PATH: '/bin' });
    expect(secrets.secretFor('github')?.toString()).toBe('gh');
    expect(secrets.secretFor('my-crm')?.toString()).toBe('crm');
    expect(secrets.secretFor('zendesk')).toBeUndefined();
    expect(secrets.isConfigured('github')).toBe(true);
    expect(secrets.isConfigured('zendesk')).toBe(false);
  });

  it('accepts the sources in BDK_WEBHOOK_UNSIGNED_SOURCES unsigned', () => {
    const secrets = readWebhookSecrets({ BDK_WEBHOOK_UNSIGNED_SOURCES: ' zendesk , ,internal-cron' });
    expect(secrets.acceptsUnsigned('zendesk')).toBe(true);
    expect(secrets.acceptsUnsigned('internal-cron')).toBe(true);
    expect(secrets.acceptsUnsigned('github')).toBe(false);
    expect(secrets.isConfigured('zendesk')).toBe(true);
  });

  it('summarises source names and never the secrets', () => {
    const secrets = readWebhookSecrets({ BDK_WEBHOOK_SECRET_GITHUB: 'hunter2', BDK_WEBHOOK_UNSIGNED_SOURCES: 'zendesk' });
    expect(secrets.summary()).toEqual({ signed: ['github'], unsigned: ['zendesk'] });
    expect(JSON.stringify(secrets)).not.toContain('hunter2');
  });

  it('refuses an empty secret, naming the variable', () => {
    expect(() => readWebhookSecrets({ BDK_WEBHOOK_SECRET_GITHUB: '' })).toThrow('BDK_WEBHOOK_SECRET_GITHUB is empty');
  });

  it('refuses an unsigned source that is not a DNS label', () => {
    expect(() => readWebhookSecrets({ BDK_WEBHOOK_UNSIGNED_SOURCES: 'Zendesk' })).toThrow(
      'BDK_WEBHOOK_UNSIGNED_SOURCES: "Zendesk" must be a DNS label',
    );
  });

  it('refuses a source that is both signed and unsigned', () => {
    expect(() => readWebhookSecrets({ BDK_WEBHOOK_SECRET_GITHUB: 'gh', BDK_WEBHOOK_UNSIGNED_SOURCES: 'github' })).toThrow(
      'configure one or the other',
    );
  });
});
