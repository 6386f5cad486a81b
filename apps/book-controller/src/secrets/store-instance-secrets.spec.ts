import { describe, expect, it } from '@jest/globals';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import { StoreInstanceSecretsRequestSchema, type StoreInstanceSecretsRequest } from '@bdk/proto';
import { maxPreviousValidSeconds, validateStore } from './store-instance-secrets.js';

type Init = Omit<MessageInitShape<typeof StoreInstanceSecretsRequestSchema>, '$typeName'>;
const request = (overrides: Init = {}): StoreInstanceSecretsRequest => {
  const init: Init = {
    instance: { namespace: 'bdk', name: 'acme-support' },
    organizationId: 'org-a',
    actor: 'user:alice',
    reason: 'create',
    credentials: { zendesk_api_key: 'v' },
    webhookSecrets: [{ source: 'zendesk', secret: 's', previousValidSeconds: 0 }],
  };
  return create(StoreInstanceSecretsRequestSchema, { ...init, ...overrides });
};

function refusal(overrides: Init): ConnectError | undefined {
  try {
    validateStore(request(overrides));
    return undefined;
  } catch (error) {
    return ConnectError.from(error);
  }
}

describe('validateStore', () => {
  it('accepts a complete request, and one with nothing to write', () => {
    expect(() => validateStore(request())).not.toThrow();
    expect(() => validateStore(request({ reason: 'rotate', credentials: {}, webhookSecrets: [] }))).not.toThrow();
  });

  it.each<[Init, string]>([
    [{ instance: undefined }, 'instance.namespace is required'],
    [{ instance: { namespace: 'bdk', name: ' ' } }, 'instance.name is required'],
    [{ organizationId: '' }, 'organization_id is required'],
    [{ actor: '' }, 'actor is required'],
    [{ reason: 'because' }, 'reason must be "create" or "rotate", got "because"'],
    [{ credentials: { zendesk_api_key: '' } }, 'credentials["zendesk_api_key"] must not be empty'],
    [{ credentials: { 'a b': 'x', a_b: 'y' } }, 'credentials "a b" and "a_b" would be stored under the same key "a_b"'],
    [{ webhookSecrets: [{ source: '', secret: 's' }] }, 'webhook_secrets[0].source is required'],
    [{ webhookSecrets: [{ source: 'a/b', secret: 's' }] }, 'webhook_secrets[0].source must be a DNS label'],
    [{ webhookSecrets: [{ source: 'zendesk', secret: 's' }, { source: 'Zendesk', secret: 't' }] }, 'webhook_secrets[1].source "Zendesk" appears more than once'],
    [{ webhookSecrets: [{ source: 'zendesk', secret: '' }] }, 'webhook_secrets[0].secret is required'],
    [{ webhookSecrets: [{ source: 'zendesk', secret: 's', previousValidSeconds: maxPreviousValidSeconds + 1 }] }, 'webhook_secrets[0].previous_valid_seconds must be at most'],
  ])('refuses %j with InvalidArgument naming the field', (overrides, message) => {
    const error = refusal(overrides);
    expect(error?.code).toBe(Code.InvalidArgument);
    expect(error?.rawMessage).toContain(message);
  });

  it('never echoes a value in its message', () => {
    const error = refusal({ credentials: { 'a b': 'very-secret-1', a_b: 'very-secret-2' } });
    expect(error?.rawMessage).not.toContain('very-secret');
  });
});
