// The SQLite delivery store against the contract every back end meets, on a real file in a temp dir.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openSqliteDeliveryStore } from '../src/sqlite-store.js';
import { describeDeliveryStore } from './delivery-store.contract.js';

describeDeliveryStore('SQLite', async () => {
  const directory = await mkdtemp(path.join(tmpdir(), 'bdk-sqlite-store-'));
  return {
    open: async () => openSqliteDeliveryStore({ path: path.join(directory, 'deliveries.sqlite') }),
    cleanUp: () => rm(directory, { recursive: true, force: true }),
  };
});
