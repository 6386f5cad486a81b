// The delivery store the configuration names.
import { openNatsDeliveryStore, openSqliteDeliveryStore, type DeliveryStore } from '@bdk/delivery-store';
import type { RouterConfig } from '../config.js';

export async function openDeliveryStore(config: RouterConfig['store']): Promise<DeliveryStore> {
  switch (config.kind) {
    case 'sqlite':
      return openSqliteDeliveryStore({ path: config.path });
    case 'nats':
      return openNatsDeliveryStore({ servers: config.servers });
  }
}
