import { describe, expect, it } from '@jest/globals';
import { DeliveryLog, InvalidPageToken } from './delivery-log.js';

const acme = 'org-acme';
const globex = 'org-globex';

function filled(count: number, capacity = 100) {
  const log = new DeliveryLog(capacity);
  for (let i = 1; i <= count; i++) {
    log.start({ webhookId: `w-${i}`, source: i % 2 ? 'github' : 'zendesk', event: 'push', organizationId: acme, payloadSize: i });
  }
  return log;
}

describe('DeliveryLog', () => {
  it('records a webhook as pending, then its outcome with one attempt', () => {
    const log = new DeliveryLog();
    const received = new Date('2024-01-01T00:00:00Z');
    log.start({ webhookId: 'w-1', source: 'github', event: 'push', organizationId: acme, payloadSize: 12 }, received);
    expect(log.list({ organizationId: acme, pageSize: 10 }).deliveries).toEqual([
      expect.objectContaining({ state: 'pending', attempts: 0, receivedAt: received }),
    ]);
    const done = new Date('2024-01-01T00:00:01Z');
    log.finish('w-1', { state: 'failed', targets: ['customer-acme/ci-book'], lastError: 'book answered 500' }, done);
    expect(log.list({ organizationId: acme, pageSize: 10 }).deliveries).toEqual([
      {
        webhookId: 'w-1',
        source: 'github',
        event: 'push',
        organizationId: acme,
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

  it('lists only the organisation\u2019s deliveries, and nothing for an empty organisation', () => {
    const log = new DeliveryLog();
    log.start({ webhookId: 'a-1', source: 'github', event: 'push', organizationId: acme, payloadSize: 1 });
    log.start({ webhookId: 'g-1', source: 'github', event: 'push', organizationId: globex, payloadSize: 1 });
    log.start({ webhookId: 'a-2', source: 'github', event: 'push', organizationId: acme, payloadSize: 1 });
    expect(log.list({ organizationId: acme, pageSize: 10 }).deliveries.map((d) => d.webhookId)).toEqual(['a-2', 'a-1']);
    expect(log.list({ organizationId: globex, pageSize: 10 }).deliveries.map((d) => d.webhookId)).toEqual(['g-1']);
    expect(log.list({ organizationId: 'org-initech', pageSize: 10 }).deliveries).toEqual([]);
    expect(log.list({ organizationId: '', pageSize: 10 }).deliveries).toEqual([]);
  });

  it('lists newest first and pages with a token that survives new arrivals', () => {
    const log = filled(5);
    const first = log.list({ organizationId: acme, pageSize: 2 });
    expect(first.deliveries.map((d) => d.webhookId)).toEqual(['w-5', 'w-4']);
    log.start({ webhookId: 'w-6', source: 'github', event: 'push', organizationId: acme, payloadSize: 6 });
    const second = log.list({ organizationId: acme, pageSize: 2, pageToken: first.nextPageToken });
    expect(second.deliveries.map((d) => d.webhookId)).toEqual(['w-3', 'w-2']);
    const last = log.list({ organizationId: acme, pageSize: 2, pageToken: second.nextPageToken });
    expect(last).toEqual({ deliveries: [expect.objectContaining({ webhookId: 'w-1' })], nextPageToken: '' });
  });

  it('filters by source and state', () => {
    const log = filled(4);
    log.finish('w-3', { state: 'delivered', targets: [] });
    const ids = (filter: { source?: string; state?: string }) =>
      log.list({ organizationId: acme, pageSize: 10, ...filter }).deliveries.map((d) => d.webhookId);
    expect(ids({ source: 'github' })).toEqual(['w-3', 'w-1']);
    expect(ids({ state: 'delivered' })).toEqual(['w-3']);
    expect(ids({ source: 'zendesk', state: 'delivered' })).toEqual([]);
  });

  it('keeps only the newest entries up to its capacity', () => {
    const log = filled(5, 3);
    expect(log.list({ organizationId: acme, pageSize: 10 }).deliveries.map((d) => d.webhookId)).toEqual(['w-5', 'w-4', 'w-3']);
    // An outcome for a dropped entry is ignored rather than resurrecting it.
    log.finish('w-1', { state: 'delivered', targets: [] });
    expect(log.list({ organizationId: acme, pageSize: 10 }).deliveries).toHaveLength(3);
  });

  it('rejects a page token it did not issue', () => {
    expect(() => filled(1).list({ organizationId: acme, pageSize: 1, pageToken: 'bm9wZQ' })).toThrow(InvalidPageToken);
    expect(() => filled(1).list({ organizationId: acme, pageSize: 1, pageToken: Buffer.from('before:-1').toString('base64url') })).toThrow(
      'page_token',
    );
  });
});
