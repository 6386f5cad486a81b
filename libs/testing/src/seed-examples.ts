// The spec's REST examples (docs/spec.md, "REST API"), once, for every suite that sends them.

/** The spec's POST /api/v1/books body ("Book management"). */
export const seedCreateBookRequest = {
  name: 'customer-support',
  version: '1.0.0',
  description: 'Customer support automation',
  schema: {
    inputs: [{ name: 'customer_id', type: 'string', required: true }],
    outputs: [{ name: 'resolution', type: 'object' }],
  },
  capabilities: ['ticket_creation', 'customer_lookup'],
  runtime: { language: 'python', version: '3.11' },
};

/** The spec's POST /api/v1/books/{book_id}/instances body ("Book instance management"). */
export const seedCreateInstanceRequest = {
  customer_namespace: 'customer-acme',
  organization_id: 'org-uuid-123',
  deployment: { type: 'primary', replicas: 2 },
  networking: { tailscale: { enabled: true, tailnet: 'acme-corp' } },
  credentials: [{ name: 'zendesk_api_key', value: 'encrypted_api_key' }],
};

/** The spec's POST /api/v1/webhooks/{source} body ("Webhook management"), byte for byte with its indentation. */
export const seedWebhookBody = `{
  "ticket": {
    "id": "12345",
    "subject": "Login issue",
    "customer_id": "customer-789",
    "priority": "high"
  },
  "timestamp": "2024-01-01T00:00:00Z"
}`;

/** The headers the spec's webhook example sends with it. */
export const seedWebhookHeaders = { 'Content-Type': 'application/json', 'X-Webhook-Source': 'zendesk', 'X-Webhook-Event': 'ticket.created' };
