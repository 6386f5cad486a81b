import { describe, expect, it } from '@jest/globals';
import type { BookDefinition } from './gen/crds.js';
import { webhookIntegrationFor } from './integrations.js';

function book(integrations: NonNullable<BookDefinition['spec']['integrations']>): BookDefinition {
  return {
    apiVersion: 'bdk.voyager.io/v1',
    kind: 'BookDefinition',
    metadata: { name: 'customer-support-book', namespace: 'bdk' },
    spec: { name: 'customer-support', version: '1.0.0', integrations },
  };
}

describe('webhookIntegrationFor', () => {
  const seed = book([
    { name: 'zendesk', type: 'webhook', config: { endpoint: '/webhooks/zendesk' } },
    { name: 'slack', type: 'api', config: { scopes: ['chat:write'] } },
  ]);

  it("matches a webhook integration by its name when it declares no source (the spec's zendesk)", () => {
    expect(webhookIntegrationFor(seed, 'zendesk')?.config?.endpoint).toBe('/webhooks/zendesk');
  });

  it('ignores api integrations and unknown sources', () => {
    expect(webhookIntegrationFor(seed, 'slack')).toBeUndefined();
    expect(webhookIntegrationFor(seed, 'github')).toBeUndefined();
    expect(webhookIntegrationFor(book([]), 'zendesk')).toBeUndefined();
    expect(webhookIntegrationFor(book([{ name: 'zendesk' }]), 'zendesk')).toBeUndefined();
  });

  it('matches by config.source when one is declared, and then not by name', () => {
    const declared = book([{ name: 'pull-requests', type: 'webhook', config: { source: 'github', endpoint: '/prs' } }]);
    expect(webhookIntegrationFor(declared, 'github')?.name).toBe('pull-requests');
    expect(webhookIntegrationFor(declared, 'pull-requests')).toBeUndefined();
  });

  it('treats an empty config.source as none and compares case-insensitively', () => {
    expect(webhookIntegrationFor(book([{ name: 'Zendesk', type: 'webhook', config: { source: '' } }]), 'zendesk')?.name).toBe('Zendesk');
  });
});
