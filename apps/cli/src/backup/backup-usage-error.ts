// A mistake in how `bdk admin backup`/`restore` was called (the CLI exits 2 for it, like for commander's own). A
// module of its own, with no imports, so the command definitions can recognise it without loading the backup code.
export class BackupUsageError extends Error {
  override name = 'BackupUsageError';
}
