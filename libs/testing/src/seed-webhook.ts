// The spec's webhook (seedWebhookBody, seedWebhookHeaders) sent as Zendesk sends it, signed with an instance's
// signing secret, to a BDK gateway: again and again until the router routes it, since an instance takes a moment
// after its creation to be Ready.
import { signPayload } from '@bdk/webhooks';
import { seedWebhookBody, seedWebhookHeaders } from './seed-examples.js';
import { waitUntil } from './wait.js';

/**
 * POSTs the spec's webhook to `<gatewayUrl>/api/v1/webhooks/zendesk` until the answer is 200 with
 * `processed: true`; resolves with that answer's JSON body.
 */
export async function sendSeedWebhookUntilProcessed(gatewayUrl: string, signingSecret: string, options: { timeoutMs?: number; intervalMs?: number } = {}): Promise<Record<string, unknown>> {
  const signature = signPayload({ scheme: 'zendesk', payload: Buffer.from(seedWebhookBody), secret: signingSecret });
  return waitUntil(
    'the webhook to be routed to the ready instance',
    async () => {
      const response = await fetch(`${gatewayUrl}/api/v1/webhooks/zendesk`, { method: 'POST', headers: { ...seedWebhookHeaders, ...signature }, body: seedWebhookBody });
      const answer = (await response.json().catch(() => ({}))) as Record<string, unknown>;
      return response.status === 200 && answer['processed'] === true && answer;
    },
    { timeoutMs: options.timeoutMs ?? 30_000, intervalMs: options.intervalMs ?? 500 },
  );
}
