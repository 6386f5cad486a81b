// The seed's REST examples (bdk-design.md, "API Specifications"), byte for byte where the seed gives bytes.

/** POST /api/v1/books, as the seed shows it, plus the webhook integration the sequence diagram needs. */
export const createBookBody = {
  name: 'customer-support',
  version: '1.0.0',
  description: 'Customer support automation',
  schema: {
    inputs: [{ name: 'customer_id', type: 'string', required: true }],
    outputs: [{ name: 'resolution', type: 'object' }],
  },
  capabilities: ['ticket_creation', 'customer_lookup'],
  runtime: { language: 'python', version: '3.11' },
  integrations: [
    { name: 'zendesk', type: 'webhook', config: { endpoint: '/webhooks/zendesk' } },
    { name: 'slack', type: 'api', config: { scopes: ['chat:write', 'users:read'] } },
  ],
};

/** POST /api/v1/books/{book_id}/instances, as the seed shows it. */
export const createInstanceBody = {
  customer_namespace: 'customer-acme',
  organization_id: 'org-uuid-123',
  deployment: { type: 'primary', replicas: 2 },
  networking: { tailscale: { enabled: true, tailnet: 'acme-corp' } },
  credentials: [{ name: 'zendesk_api_key', value: 'encrypted_api_key' }],
};

/** POST /api/v1/webhooks/zendesk, the seed's body with its indentation. */
export const webhookBody = `{
  "ticket": {
    "id": "12345",
    "subject": "Login issue",
    "customer_id": "customer-789",
    "priority": "high"
  },
  "timestamp": "2024-01-01T00:00:00Z"
}`;
