// The audit trail of credential material, one schema for every BDK service: every write of a credential or webhook
// signing secret (by the book-controller, or a request for one the library-service could not get written), and
// every read of signing secrets, is one log line `{"msg":"audit","audit":{...}}` with the same keys each time, so a
// log pipeline can select and index it. Values never appear: the record has no field that could hold one, and its
// field names stay clear of the logger's redaction rule (a field named like a secret would come out "[REDACTED]").
import type { Logger } from './logger.js';

export const AuditAction = {
  credentialWrite: 'credential.write',
  webhookSecretWrite: 'webhook_secret.write',
  webhookSecretRead: 'webhook_secret.read',
} as const;
export type AuditAction = (typeof AuditAction)[keyof typeof AuditAction];

/** Why: an instance created, its secrets rotated, or signing secrets handed to the router to verify a webhook. */
export type AuditReason = 'create' | 'rotate' | 'route';
export type AuditOutcome = 'success' | 'denied' | 'error';

/** An instance whose signing secrets a read returned. */
export interface AuditedInstance {
  /** `<bdk namespace>/<BookInstanceDefinition name>` */
  instance: string;
  instance_id: string;
  organization_id: string;
}

export interface AuditEvent {
  action: AuditAction;
  /** Who asked: the end user behind a write, the calling service on a read. */
  actor: string;
  /** The ServiceAccount that made the call to the controller; the service's own name where it acted itself. */
  caller: string;
  /** The organisation acted for; empty on a read spanning instances (see `instances`). */
  organization_id: string;
  /** `<bdk namespace>/<name>` of the instance written, or the one a read was limited to; empty otherwise. */
  instance: string;
  instance_id: string;
  /** The credential name or the webhook source. */
  name: string;
  reason: AuditReason;
  outcome: AuditOutcome;
  /** Why a write was denied or failed. */
  detail?: string;
  /** On a read: every instance whose secrets were returned. */
  instances?: AuditedInstance[];
}

export interface AuditRecord extends AuditEvent {
  /** RFC 3339. */
  time: string;
}

/** The record as logged: fixed key order, optional keys only when set. */
export function auditRecord(event: AuditEvent, now: Date): AuditRecord {
  const record: AuditRecord = {
    action: event.action,
    actor: event.actor,
    caller: event.caller,
    organization_id: event.organization_id,
    instance: event.instance,
    instance_id: event.instance_id,
    name: event.name,
    reason: event.reason,
    outcome: event.outcome,
    time: now.toISOString(),
  };
  if (event.detail !== undefined) record.detail = event.detail;
  if (event.instances !== undefined) {
    record.instances = event.instances.map(({ instance, instance_id, organization_id }) => ({ instance, instance_id, organization_id }));
  }
  return record;
}

export type AuditLog = (event: AuditEvent) => void;

export function createAuditLog(logger: Logger, now: () => Date = () => new Date()): AuditLog {
  return (event) => logger.info('audit', { audit: auditRecord(event, now()) });
}
