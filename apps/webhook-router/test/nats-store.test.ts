// The NATS JetStream delivery store against the contract every back end meets, on one real nats-server (file
// storage) for the file; each open() is a new client connection to it, as another router replica would be.
import { startNatsServer } from '@bdk/testing';
import { openNatsDeliveryStore } from '../src/delivery/nats-store.js';
import { describeDeliveryStore } from './delivery-store.contract.js';

describeDeliveryStore('NATS JetStream', async () => {
  const server = await startNatsServer();
  return {
    open: async () => openNatsDeliveryStore({ servers: server.url }),
    cleanUp: () => server.stop(),
  };
});
