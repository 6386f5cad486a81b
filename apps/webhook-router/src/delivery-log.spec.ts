import { describe, expect, it } from '@jest/globals';
import { DeliveryLog, InvalidPageToken } from './delivery-log.js';

function filled(count: number, capacity = 100) {
  const log = new DeliveryLog(capacity);
  for (let i = 1; i <= count; i++) {
    log.start({ webhookId: `w-${i}`, source: i % 2 ? 'github' : 'zendesk', event: 'push', payloadSize: i });
  }
  return log;
}

describe('DeliveryLog', () => {
  it('records a webhook as pending, then its outcome with one attempt', () => {
    const log = new DeliveryLog();
    const received = new Date('2024-01-01T00:00:00Z');
    log.start({ webhookId: 'w-1', source: 'github', event: 'push', payloadSize: 12 }, received);
    expect(log.list({ pageSize: 10 }).deliveries).toEqual([expect.objectContaining({ state: 'pending', attempts: 0, receivedAt: received })]);
    const done = new Date('2024-01-01T00:00:01Z');
    log.finish('w-1', { state: 'failed', targets: ['customer-acme/ci-book'], lastError: 'book answered 500' }, done);
    expect(log.list({ pageSize: 10 }).deliveries).toEqual([
      {
        webhookId: 'w-1',
        source: 'github',
        event: 'push',
        state: 'failed',
        attempts: 1,
        lastError: 'book answered 500',
        targets: ['customer-acme/ci-book'],
        payloadSize: 12,
        receivedAt: received,
        updatedAt: done,
      },
    ]);
  });

  it('lists newest first and pages with a token that survives new arrivals', () => {
    const log = filled(5);
    const first = log.list({ pageSize: 2 });
    expect(first.deliveries.map((d) => d.webhookId)).toEqual(['w-5', 'w-4']);
    log.start({ webhookId: 'w-6', source: 'github', event: 'push', payloadSize: 6 });
    const second = log.list({ pageSize: 2, pageToken: first.nextPageToken });
    expect(second.deliveries.map((d) => d.webhookId)).toEqual(['w-3', 'w-2']);
    const last = log.list({ pageSize: 2, pageToken: second.nextPageToken });
    expect(last).toEqual({ deliveries: [expect.objectContaining({ webhookId: 'w-1' })], nextPageToken: '' });
  });

  it('filters by source and state', () => {
    const log = filled(4);
    log.finish('w-3', { state: 'delivered', targets: [] });
    expect(log.list({ pageSize: 10, source: 'github' }).deliveries.map((d) => d.webhookId)).toEqual(['w-3', 'w-1']);
    expect(log.list({ pageSize: 10, state: 'delivered' }).deliveries.map((d) => d.webhookId)).toEqual(['w-3']);
    expect(log.list({ pageSize: 10, source: 'zendesk', state: 'delivered' }).deliveries).toEqual([]);
  });

  it('keeps only the newest entries up to its capacity', () => {
    const log = filled(5, 3);
    expect(log.list({ pageSize: 10 }).deliveries.map((d) => d.webhookId)).toEqual(['w-5', 'w-4', 'w-3']);
    // An outcome for a dropped entry is ignored rather than resurrecting it.
    log.finish('w-1', { state: 'delivered', targets: [] });
    expect(log.list({ pageSize: 10 }).deliveries).toHaveLength(3);
  });

  it('rejects a page token it did not issue', () => {
    expect(() => filled(1).list({ pageSize: 1, pageToken: 'bm9wZQ' })).toThrow(InvalidPageToken);
    expect(() => filled(1).list({ pageSize: 1, pageToken: Buffer.from('before:-1').toString('base64url') })).toThrow('page_token');
  });
});
