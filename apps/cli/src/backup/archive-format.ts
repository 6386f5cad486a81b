// The backup archive: one JSON document with a format version, holding BDK's state in a cluster-neutral shape
// (objects without uid, resourceVersion, status or owners; deliveries with their payloads in base64). Documented
// in docs/backup-restore.md; a reader refuses a version it does not know rather than guess.

export const archiveFormat = 'bdk-backup/v1';

/** Metadata of an object as a backup keeps it: what identifies it and what its ids live in. */
export interface PortableMetadata {
  name: string;
  namespace?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** A BookDefinition or BookInstanceDefinition: apiVersion, kind, metadata and spec, nothing the cluster wrote. */
export interface PortableResource {
  apiVersion: string;
  kind: string;
  metadata: PortableMetadata;
  spec: unknown;
}

/** A customer namespace and the labels that say which organisation owns it. */
export interface PortableNamespace {
  name: string;
  labels: Record<string, string>;
}

/** A Secret BDK wrote in a customer namespace (credentials, webhook signing), values base64 as in the API. */
export interface PortableSecret {
  metadata: PortableMetadata & { namespace: string };
  type: string;
  data: Record<string, string>;
}

export interface ArchivedTarget {
  namespace: string;
  name: string;
  instanceId: string;
  routedTo: string;
  state: string;
  attempts: number;
  lastError: string;
  /** RFC 3339. */
  nextAttemptAt?: string;
}

export interface ArchivedAttempt {
  at: string;
  target: number;
  httpStatus: number;
  latencyMs: number;
  error: string;
}

/** One webhook delivery, whole: its payload (base64), targets with their states, and every attempt. */
export interface ArchivedDelivery {
  webhookId: string;
  organizationId: string;
  source: string;
  event: string;
  contentType: string;
  payload: string;
  headers: Record<string, string>;
  receivedAt: string;
  updatedAt: string;
  lastError: string;
  targets: ArchivedTarget[];
  attemptLog: ArchivedAttempt[];
}

export interface BackupArchive {
  format: typeof archiveFormat;
  createdAt: string;
  /** BDK's namespace the custom resources were read from. */
  namespace: string;
  /** Whether credentials Secrets are in `secrets` (webhook signing Secrets always are). */
  includesCredentials: boolean;
  namespaces: PortableNamespace[];
  books: PortableResource[];
  instances: PortableResource[];
  secrets: PortableSecret[];
  /** Undefined when the backup was made without a delivery store. */
  deliveries?: ArchivedDelivery[];
}

export class ArchiveFormatError extends Error {
  override name = 'ArchiveFormatError';
}

/** Parses and checks an archive's JSON text: its format version and the shape of each list. */
export function parseArchive(text: string): BackupArchive {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ArchiveFormatError(`not a BDK backup: ${(error as Error).message}`);
  }
  if (!isRecord(parsed)) throw new ArchiveFormatError('not a BDK backup: expected a JSON object');
  if (parsed['format'] !== archiveFormat) {
    throw new ArchiveFormatError(`unsupported backup format ${JSON.stringify(parsed['format'])}: this bdk reads ${archiveFormat}`);
  }
  for (const list of ['namespaces', 'books', 'instances', 'secrets'] as const) {
    if (!Array.isArray(parsed[list])) throw new ArchiveFormatError(`not a BDK backup: "${list}" is not a list`);
  }
  if (parsed['deliveries'] !== undefined && !Array.isArray(parsed['deliveries'])) throw new ArchiveFormatError('not a BDK backup: "deliveries" is not a list');
  if (typeof parsed['namespace'] !== 'string') throw new ArchiveFormatError('not a BDK backup: "namespace" is missing');
  for (const resource of [...(parsed['books'] as unknown[]), ...(parsed['instances'] as unknown[])]) {
    if (!isRecord(resource) || !isRecord(resource['metadata']) || typeof resource['metadata']['name'] !== 'string') {
      throw new ArchiveFormatError('not a BDK backup: a book or instance has no metadata.name');
    }
  }
  return parsed as unknown as BackupArchive;
}

export function serializeArchive(archive: BackupArchive): string {
  return JSON.stringify(archive);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
