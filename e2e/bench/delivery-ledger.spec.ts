import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBookEndpoint } from './book-endpoint.js';
import { DeliveryLedger } from './delivery-ledger.js';

// The real book endpoint on loopback, sent triggers as the controller sends them.
let book: http.Server;
let port = 0;

beforeAll(async () => {
  book = createBookEndpoint();
  await new Promise<void>((resolve) => book.listen(0, '127.0.0.1', resolve));
  port = (book.address() as AddressInfo).port;
});

afterAll(async () => {
  book.closeAllConnections();
  await new Promise((resolve) => book.close(resolve));
});

async function trigger(webhookId: string): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${port}/customer-acme/book/webhooks/zendesk`, { method: 'POST', headers: { 'x-bdk-webhook-id': webhookId }, body: '{}' });
  expect(response.status).toBe(202);
}

const accepted = (webhookId: string) => ({ status: 200, body: JSON.stringify({ webhook_id: webhookId, processed: true }) });

describe('DeliveryLedger', () => {
  it('counts accepted webhooks the book never received, duplicates, and deliveries never answered 2xx', async () => {
    const ledger = new DeliveryLedger();
    ledger.record(accepted('a'));
    ledger.record(accepted('b'));
    ledger.record(accepted('c'));
    ledger.record({ status: 503, body: '{"code":14}' });
    ledger.record({ status: 200, body: 'not json' });
    for (const id of ['a', 'b', 'b', 'x']) await trigger(id);

    const count = await ledger.settle(port, 1_000);
    expect(count).toMatchObject({ accepted: 3, delivered: 2, undelivered: 1, duplicates: 1, deliveredWithoutAcceptance: 1, acceptedWithoutId: 1 });
    expect(count.waitedMs).toBeGreaterThanOrEqual(1_000);
  });

  it('returns as soon as every accepted webhook has arrived', async () => {
    const ledger = new DeliveryLedger();
    ledger.record(accepted('late'));
    setTimeout(() => void trigger('late'), 300);
    const count = await ledger.settle(port, 10_000);
    expect(count).toMatchObject({ accepted: 1, delivered: 1, undelivered: 0 });
    expect(count.waitedMs).toBeLessThan(5_000);
  });
});
