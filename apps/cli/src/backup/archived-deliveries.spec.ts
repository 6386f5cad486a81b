import { describe, expect, it } from '@jest/globals';
import type { ExportedDelivery } from '@bdk/delivery-store';
import { archiveDelivery, restoreDelivery } from './archived-deliveries.js';

const delivery: ExportedDelivery = {
  webhookId: '019abc00-0000-7000-8000-000000000001',
  organizationId: 'org-acme',
  source: 'zendesk',
  event: 'ticket.created',
  contentType: 'application/json',
  payload: Uint8Array.from([0, 1, 255, 10]),
  headers: { 'x-webhook-event': 'ticket.created' },
  receivedAt: new Date('2026-11-27T10:00:00.123Z'),
  updatedAt: new Date('2026-11-27T10:00:01.000Z'),
  lastError: 'book answered HTTP 503',
  targets: [
    { namespace: 'bdk', name: 'i', instanceId: 'inst', routedTo: 'customer-acme/book', state: 'failed', attempts: 1, lastError: 'book answered HTTP 503', nextAttemptAt: new Date('2026-11-27T10:05:00Z') },
    { namespace: 'bdk', name: 'j', instanceId: 'inst2', routedTo: 'customer-acme/book', state: 'delivered', attempts: 1, lastError: '' },
  ],
  attemptLog: [{ at: new Date('2026-11-27T10:00:00.500Z'), target: 0, httpStatus: 503, latencyMs: 12, error: 'book answered HTTP 503' }],
};

describe('archived deliveries', () => {
  it('round-trip through JSON with their bytes, times and states', () => {
    const archived = JSON.parse(JSON.stringify(archiveDelivery(delivery))) as ReturnType<typeof archiveDelivery>;
    expect(archived.payload).toBe('AAH/Cg==');
    expect(archived.targets[0]?.nextAttemptAt).toBe('2026-11-27T10:05:00.000Z');
    expect(archived.targets[1]).not.toHaveProperty('nextAttemptAt');
    expect(restoreDelivery(archived)).toEqual(delivery);
  });

  it('refuses an unknown state or a time that is none, naming the delivery', () => {
    const archived = archiveDelivery(delivery);
    const [, delivered] = archived.targets;
    if (!delivered) throw new Error('the delivered target is missing');
    expect(() => restoreDelivery({ ...archived, targets: [{ ...delivered, state: 'lost' }] })).toThrow(
      `delivery ${delivery.webhookId}: target 0 has the unknown state "lost"`,
    );
    expect(() => restoreDelivery({ ...archived, receivedAt: 'yesterday' })).toThrow(/receivedAt is not a time/);
  });
});
