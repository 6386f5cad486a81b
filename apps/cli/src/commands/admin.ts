// `bdk admin`: platform operations that talk to the cluster and the router's delivery store directly (a
// kubeconfig with access to BDK's namespace, the customer namespaces and their Secrets), not to the gateway.
//
// The backup code is loaded by the actions, not imported here: it brings the Kubernetes client, the NATS client
// and SQLite, and every other command (and `bdk --help`) would load them too.
import type { Command } from 'commander';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { BackupUsageError } from '../backup/backup-usage-error.js';
import { CliError } from '../errors.js';
import { formatOutput } from '../output.js';
import { contextOf } from '../program.js';

interface ClusterOptions {
  kubeconfig?: string;
  namespace: string;
  deliveryStore?: string;
  passphraseFile?: string;
}

/** What the actions run, loaded when one of them starts. */
async function loadBackupCode() {
  const [{ createBackup, restoreBackup }, { parseDeliveryStoreLocation }, { adminKubeConfig }] = await Promise.all([
    import('../backup/backup.js'),
    import('../backup/delivery-store-location.js'),
    import('../backup/admin-kube-config.js'),
  ]);
  return { createBackup, restoreBackup, parseDeliveryStoreLocation, adminKubeConfig };
}

/** The passphrase: the file's first line (a trailing newline is not part of it). */
async function readPassphrase(file: string | undefined): Promise<string | undefined> {
  if (file === undefined) return undefined;
  const passphrase = (await readFile(file, 'utf8')).replace(/\r?\n$/, '');
  if (passphrase === '') throw new CliError(`${file}: the passphrase file is empty`, 2);
  return passphrase;
}

function withClusterOptions(command: Command): Command {
  return command
    .option('--kubeconfig <file>', 'the cluster (default: KUBECONFIG, ~/.kube/config, or the pod\u2019s service account)')
    .option('--namespace <namespace>', 'BDK\u2019s namespace (the Helm release\u2019s)', 'bdk')
    .option('--delivery-store <store>', 'the webhook-router\u2019s delivery store: sqlite:PATH or nats://HOST:PORT')
    .option('--passphrase-file <file>', 'a file holding the archive\u2019s passphrase (AES-256-GCM, key from scrypt)');
}

/** Checked before the cluster is even looked for (createBackup refuses the same). */
function refuseCredentialsInClear(): never {
  throw new BackupUsageError('--include-credentials needs --passphrase-file: credential values are never written unencrypted');
}

/** Usage mistakes exit 2, like commander's own. */
async function reported<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof BackupUsageError) throw new CliError(error.message, 2);
    throw error;
  }
}

export function registerAdminCommands(program: Command): void {
  const admin = program.command('admin').description('platform operations on the cluster and the delivery store directly (backup, restore)');

  withClusterOptions(
    admin
      .command('backup')
      .description('export BDK\u2019s state to one file: books, instances (with their ids), customer namespaces, webhook signing Secrets, the delivery log')
      .requiredOption('--out <file>', 'the archive to write (mode 0600)')
      .option('--include-credentials', 'also the instances\u2019 credentials Secrets (needs --passphrase-file)', false),
  ).action(async (options: ClusterOptions & { out: string; includeCredentials: boolean }, command: Command) => {
    const context = contextOf(command);
    const summary = await reported(async () => {
      if (options.includeCredentials && options.passphraseFile === undefined) refuseCredentialsInClear();
      const passphrase = await readPassphrase(options.passphraseFile);
      const { createBackup, parseDeliveryStoreLocation, adminKubeConfig } = await loadBackupCode();
      const { file, summary } = await createBackup({
        kubeConfig: adminKubeConfig(options.kubeconfig),
        namespace: options.namespace,
        includeCredentials: options.includeCredentials,
        ...(passphrase === undefined ? {} : { passphrase }),
        ...(options.deliveryStore ? { deliveryStore: parseDeliveryStoreLocation(options.deliveryStore) } : {}),
      });
      // Written whole under another name first: an interrupted backup never leaves a truncated archive behind.
      const partial = `${options.out}.partial`;
      await writeFile(partial, file, { mode: 0o600 });
      await rename(partial, options.out);
      return summary;
    });
    if (!options.deliveryStore) context.note('no --delivery-store: the archive holds no webhook deliveries');
    if (!summary.encrypted) context.note('no --passphrase-file: the archive is not encrypted (webhook signing secrets and payloads are in it)');
    context.print(
      formatOutput(context.output, { file: options.out, ...summary }, () =>
        `backup written to ${options.out}: ${summary.books} books, ${summary.instances} instances, ${summary.namespaces} customer namespaces, ` +
        `${summary.secrets} Secrets${summary.includesCredentials ? ' (credentials included)' : ' (no credentials)'}` +
        `${summary.deliveries === undefined ? '' : `, ${summary.deliveries} deliveries`}${summary.encrypted ? ', encrypted' : ''}\n`,
      ),
    );
  });

  withClusterOptions(
    admin
      .command('restore')
      .description('restore a backup into a cluster without BDK objects (refused, naming them, when there are some) and a delivery store')
      .requiredOption('--in <file>', 'the archive to read'),
  ).action(async (options: ClusterOptions & { in: string }, command: Command) => {
    const context = contextOf(command);
    const explicitNamespace = command.getOptionValueSource('namespace') === 'cli';
    const summary = await reported(async () => {
      const passphrase = await readPassphrase(options.passphraseFile);
      const { restoreBackup, parseDeliveryStoreLocation, adminKubeConfig } = await loadBackupCode();
      return restoreBackup(await readFile(options.in), {
        kubeConfig: adminKubeConfig(options.kubeconfig),
        ...(explicitNamespace ? { namespace: options.namespace } : {}),
        ...(passphrase === undefined ? {} : { passphrase }),
        ...(options.deliveryStore ? { deliveryStore: parseDeliveryStoreLocation(options.deliveryStore) } : {}),
      });
    });
    if (!summary.includesCredentials) context.note('the archive holds no credentials: instances that need them wait (CredentialsAvailable=False, SecretNotFound) until they are stored again');
    context.print(
      formatOutput(context.output, summary, () =>
        `restored into namespace ${summary.namespace}: ${summary.books} books, ${summary.instances} instances, ${summary.namespaces} customer namespaces, ` +
        `${summary.secrets} Secrets${summary.deliveries ? `, ${summary.deliveries.imported} deliveries (${summary.deliveries.skipped} already there)` : ''}\n`,
      ),
    );
  });
}
