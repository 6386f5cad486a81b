// `bdk admin backup` and `bdk admin restore` as functions: BDK's state from a cluster and a delivery store into one
// archive file, and from the file into an empty cluster and store.
import type { KubeConfig } from '@kubernetes/client-node';
import { archiveFormat, parseArchive, serializeArchive, type ArchivedDelivery, type BackupArchive } from './archive-format.js';
import { openArchive, sealArchive } from './archive-crypto.js';
import { archiveDelivery, restoreDelivery } from './archived-deliveries.js';
import { BackupUsageError } from './backup-usage-error.js';
import { readClusterState, writeClusterState, type RestoreCounts } from './cluster-state.js';
import { openDeliveryStoreAt, type DeliveryStoreLocation } from './delivery-store-location.js';

export { BackupUsageError };

export interface BackupOptions {
  kubeConfig: KubeConfig;
  /** BDK's namespace (the Helm release's). */
  namespace: string;
  /** Also the credentials Secrets; needs a passphrase. */
  includeCredentials: boolean;
  /** Encrypts the archive when set. */
  passphrase?: string;
  /** Where the router keeps its deliveries; left out, the archive has none. */
  deliveryStore?: DeliveryStoreLocation;
  now?: Date;
}

export interface BackupSummary {
  books: number;
  instances: number;
  namespaces: number;
  secrets: number;
  /** Undefined when no delivery store was named. */
  deliveries?: number;
  encrypted: boolean;
  includesCredentials: boolean;
}

export async function createBackup(options: BackupOptions): Promise<{ file: Buffer; summary: BackupSummary }> {
  if (options.includeCredentials && options.passphrase === undefined) {
    throw new BackupUsageError('--include-credentials needs --passphrase-file: credential values are never written unencrypted');
  }
  const state = await readClusterState(options.kubeConfig, options.namespace, { includeCredentials: options.includeCredentials });
  let deliveries: ArchivedDelivery[] | undefined;
  if (options.deliveryStore) {
    const store = await openDeliveryStoreAt(options.deliveryStore, { mustExist: true });
    try {
      deliveries = [];
      for await (const delivery of store.exportAll()) deliveries.push(archiveDelivery(delivery));
    } finally {
      await store.close();
    }
  }
  const archive: BackupArchive = {
    format: archiveFormat,
    createdAt: (options.now ?? new Date()).toISOString(),
    namespace: options.namespace,
    includesCredentials: options.includeCredentials,
    ...state,
    ...(deliveries ? { deliveries } : {}),
  };
  const file = await sealArchive(serializeArchive(archive), options.passphrase);
  return {
    file,
    summary: {
      books: state.books.length,
      instances: state.instances.length,
      namespaces: state.namespaces.length,
      secrets: state.secrets.length,
      ...(deliveries ? { deliveries: deliveries.length } : {}),
      encrypted: options.passphrase !== undefined,
      includesCredentials: options.includeCredentials,
    },
  };
}

/** The archive in a backup file, decrypted and checked. */
export async function readBackup(file: Buffer, passphrase: string | undefined): Promise<BackupArchive> {
  return parseArchive(await openArchive(file, passphrase));
}

export interface RestoreOptions {
  kubeConfig: KubeConfig;
  /** BDK's namespace in the cluster restored into; the archive's when left out. */
  namespace?: string;
  passphrase?: string;
  deliveryStore?: DeliveryStoreLocation;
}

export interface RestoreSummary extends RestoreCounts {
  namespace: string;
  deliveries?: { imported: number; skipped: number };
  includesCredentials: boolean;
}

export async function restoreBackup(file: Buffer, options: RestoreOptions): Promise<RestoreSummary> {
  const archive = await readBackup(file, options.passphrase);
  const held = archive.deliveries?.length ?? 0;
  if (held > 0 && !options.deliveryStore) {
    throw new BackupUsageError(`the archive holds ${held} webhook deliveries: name the store to restore them into (--delivery-store)`);
  }
  // Every delivery is decoded before anything is written, so a damaged one stops the restore at the start.
  const deliveries = (archive.deliveries ?? []).map(restoreDelivery);
  const namespace = options.namespace ?? archive.namespace;
  const counts = await writeClusterState(options.kubeConfig, namespace, archive);
  let imported: RestoreSummary['deliveries'];
  if (options.deliveryStore && archive.deliveries) {
    const store = await openDeliveryStoreAt(options.deliveryStore, { mustExist: false });
    try {
      imported = await store.importAll(deliveries);
    } finally {
      await store.close();
    }
  }
  return { ...counts, namespace, includesCredentials: archive.includesCredentials, ...(imported ? { deliveries: imported } : {}) };
}
