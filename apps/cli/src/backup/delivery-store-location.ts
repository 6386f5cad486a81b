// Which delivery store a backup reads or a restore writes: `sqlite:PATH` (the router's file) or `nats://URL`
// (its JetStream), opened with the router's own store code (@bdk/delivery-store), so the CLI reads and writes
// exactly what the router does through the store's exportAll/importAll.
import { openNatsDeliveryStore, openSqliteDeliveryStore, type DeliveryStore } from '@bdk/delivery-store';
import { existsSync } from 'node:fs';
import path from 'node:path';

export type DeliveryStoreLocation = { kind: 'sqlite'; path: string } | { kind: 'nats'; servers: string };

export type { DeliveryStore };

export function parseDeliveryStoreLocation(value: string): DeliveryStoreLocation {
  if (value.startsWith('sqlite:')) {
    const file = value.slice('sqlite:'.length);
    if (!file) throw new Error('--delivery-store sqlite:PATH needs the path of the router\u2019s SQLite file');
    return { kind: 'sqlite', path: path.resolve(file) };
  }
  if (value.startsWith('nats://') || value.startsWith('tls://')) return { kind: 'nats', servers: value };
  throw new Error(`--delivery-store: expected sqlite:PATH or nats://HOST:PORT, not ${JSON.stringify(value)}`);
}

/** Opens the store; `mustExist`: a backup never creates an empty SQLite file where a path was mistyped. */
export async function openDeliveryStoreAt(location: DeliveryStoreLocation, options: { mustExist: boolean }): Promise<DeliveryStore> {
  switch (location.kind) {
    case 'sqlite':
      if (options.mustExist && !existsSync(location.path)) throw new Error(`no delivery store at ${location.path}`);
      return openSqliteDeliveryStore({ path: location.path });
    case 'nats':
      return openNatsDeliveryStore({ servers: location.servers, connectionName: 'bdk-cli' });
  }
}
