// The delivery store the configuration names.
import type { RouterConfig } from '../config.js';
import type { DeliveryStore } from './delivery-store.js';
import { openNatsDeliveryStore } from './nats-store.js';
import { openSqliteDeliveryStore } from './sqlite-store.js';

export async function openDeliveryStore(config: RouterConfig['store']): Promise<DeliveryStore> {
  switch (config.kind) {
    case 'sqlite':
      return openSqliteDeliveryStore({ path: config.path });
    case 'nats':
      return openNatsDeliveryStore({ servers: config.servers });
  }
}
