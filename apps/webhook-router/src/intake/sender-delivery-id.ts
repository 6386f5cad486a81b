// The sender's own id for a delivery, which it sends again when it retries: the idempotency key that makes a
// sender's retry of a webhook BDK already accepted a duplicate rather than a second delivery.
import type { SignatureScheme } from '@bdk/webhooks';

/** Headers that carry a delivery id, in order of preference. Each is set by its sender on every retry alike. */
const deliveryIdHeaders = [
  'x-github-delivery', // GitHub
  'webhook-id', // Standard Webhooks (signed with the body)
  'x-zendesk-webhook-invocation-id', // Zendesk
  'x-webhook-delivery', // BDK's own generic header
  'idempotency-key',
] as const;

const maxKeyLength = 200;

/**
 * The delivery id of a verified webhook, or undefined when the sender gave none. Stripe and Slack put theirs in
 * the body (`id` of the Stripe event, `event_id` of a Slack Events API callback), read only for their schemes.
 */
export function senderDeliveryId(scheme: SignatureScheme | undefined, header: (name: string) => string | null, payload: Uint8Array): string | undefined {
  for (const name of deliveryIdHeaders) {
    const value = header(name)?.trim();
    if (value) return usable(value);
  }
  const field = scheme === 'stripe' ? 'id' : scheme === 'slack' ? 'event_id' : undefined;
  if (!field) return undefined;
  try {
    const body: unknown = JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'));
    const value = body && typeof body === 'object' ? (body as Record<string, unknown>)[field] : undefined;
    return typeof value === 'string' && value.trim() ? usable(value.trim()) : undefined;
  } catch {
    return undefined; // Not JSON (a Slack slash command is a form): no id.
  }
}

/** A key longer than any sender's id is not one; it is not stored. */
function usable(value: string): string | undefined {
  return value.length <= maxKeyLength ? value : undefined;
}
