// The NATS JetStream delivery store against the contract every back end meets, on one real nats-server (file
// storage) for the file; each open() is a new client connection to it, as another router replica would be. Then
// what only this back end has to look after: work left by an accept that failed half-way, and senders' delivery
// ids that the server itself forgets when their window ends.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startNatsServer, waitUntil, type RunningNatsServer } from '@bdk/testing';
import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { DeliveryStore } from '../src/delivery-store.js';
import { deliveryKey, idempotencyKey, natsStoreNames } from '../src/nats-names.js';
import type { WorkItem } from '../src/nats-record.js';
import { openNatsDeliveryStore } from '../src/nats-store.js';
import { uuidv7 } from '../src/uuidv7.js';
import { describeDeliveryStore, webhook } from './delivery-store.contract.js';

describeDeliveryStore('NATS JetStream', async () => {
  const server = await startNatsServer();
  return {
    open: async () => openNatsDeliveryStore({ servers: server.url }),
    cleanUp: () => server.stop(),
  };
});

describe('NATS JetStream delivery store housekeeping', () => {
  const names = natsStoreNames('bdk-deliveries');
  let server: RunningNatsServer;
  let store: DeliveryStore;
  let nc: NatsConnection;

  beforeAll(async () => {
    server = await startNatsServer();
    store = await openNatsDeliveryStore({ servers: server.url });
    nc = await connect({ servers: server.url });
  }, 60_000);

  afterAll(async () => {
    await nc?.close();
    await store?.close();
    await server?.stop();
  });

  it('lists an organisation with no deliveries, and one whose deliveries fill the store’s read pages exactly', async () => {
    expect(await store.list({ organizationId: `org-${uuidv7()}` }, { pageSize: 10 })).toEqual({ deliveries: [], nextPageToken: '' });
    // The records are read 256 at a time: a last page that comes back empty ends the read, it is no error.
    const organizationId = `org-${uuidv7()}`;
    const base = Date.now() - 600_000;
    for (let i = 0; i < 256; i += 8) {
      await Promise.all(
        Array.from({ length: 8 }, (_, n) =>
          store.accept(webhook({ organizationId, receivedAt: new Date(base + i + n), targets: [] }), { leaseMs: 100, idempotencyWindowMs: 60_000 }),
        ),
      );
    }
    expect((await store.list({ organizationId }, { pageSize: 1_000 })).deliveries).toHaveLength(256);
    expect(await store.replay({ organizationId: `org-${uuidv7()}` }, 10)).toEqual([]);
  }, 60_000);

  it('drops the work and the payload of an accept that never wrote its record, once its grace is over', async () => {
    const webhookId = uuidv7();
    const key = deliveryKey('org-a', webhookId);
    const kvm = new Kvm(nc);
    const payloads = await kvm.open(names.payloads);
    await payloads.put(key, 'half-accepted');
    const js = jetstream(nc);
    const orphan = (publishedAt: number): WorkItem => ({ organizationId: 'org-a', webhookId, target: 0, ticket: 'never-recorded', publishedAt });
    // One published just now (its accept may still be writing the record) and one from an accept long gone.
    await js.publish(names.workSubject, JSON.stringify(orphan(Date.now())));
    await js.publish(names.workSubject, JSON.stringify(orphan(Date.now() - 3_600_000)));

    expect(await store.claimDue(50, 1_000)).toEqual([]);
    const queue = async () => (await (await js.jetstreamManager()).streams.info(names.workStream)).state.messages;
    expect(await queue()).toBe(1);
    expect((await payloads.get(key))?.operation ?? 'gone').toBe('gone');
  });

  it('lets the server forget a sender\u2019s delivery id when its window ends', async () => {
    const first = webhook({ idempotencyKey: 'evt-expiring' });
    await store.accept(first, { leaseMs: 100, idempotencyWindowMs: 1_500 });
    const keys = await new Kvm(nc).open(names.idempotency);
    const key = idempotencyKey('org-a', first.source, 'evt-expiring');
    expect((await keys.get(key))?.json()).toMatchObject({ webhookId: first.webhookId });
    await waitUntil('the key to expire', async () => (await keys.get(key))?.operation !== 'PUT', { timeoutMs: 10_000, intervalMs: 200 });

    const again = webhook({ idempotencyKey: 'evt-expiring' });
    expect(await store.accept(again, { leaseMs: 100, idempotencyWindowMs: 60_000 })).toEqual({ duplicate: false, webhookId: again.webhookId });
  }, 30_000);
});
