import { describe, expect, it } from '@jest/globals';
import { AuditAction, auditRecord, createAuditLog, type AuditEvent } from './audit-log.js';
import { createLogger, redact } from './logger.js';

const t0 = new Date('2026-03-01T12:00:00Z');
const write: AuditEvent = {
  action: AuditAction.credentialWrite,
  actor: 'user:alice@example.com',
  caller: 'system:serviceaccount:bdk:library-service',
  organization_id: 'org-a',
  instance: 'bdk/customer-acme-customer-support-1a2b3c4d',
  instance_id: '1a2b3c4d-0000-4000-8000-000000000000',
  name: 'zendesk_api_key',
  reason: 'create',
  outcome: 'success',
};

describe('auditRecord', () => {
  it('has the same keys in the same order on every write, with the time', () => {
    const record = auditRecord(write, t0);
    expect(Object.keys(record)).toEqual(['action', 'actor', 'caller', 'organization_id', 'instance', 'instance_id', 'name', 'reason', 'outcome', 'time']);
    expect(record.time).toBe('2026-03-01T12:00:00.000Z');
  });

  it('adds detail and the instances of a read only when given, and drops anything else', () => {
    const read = auditRecord(
      {
        ...write,
        action: AuditAction.webhookSecretRead,
        reason: 'route',
        instances: [{ instance: 'bdk/a', instance_id: 'id-a', organization_id: 'org-a', extra: 'x' } as never],
        detail: 'why',
      },
      t0,
    );
    expect(read.instances).toEqual([{ instance: 'bdk/a', instance_id: 'id-a', organization_id: 'org-a' }]);
    expect(read.detail).toBe('why');
    expect(auditRecord({ ...write, unexpected: 'value' } as never, t0)).not.toHaveProperty('unexpected');
  });

  it("survives the logger's redaction untouched: no field is named like a secret", () => {
    const record = auditRecord({ ...write, detail: 'd', instances: [{ instance: 'bdk/a', instance_id: 'i', organization_id: 'o' }] }, t0);
    expect(redact(record)).toEqual(record);
  });
});

describe('createAuditLog', () => {
  it('writes one JSON line with msg "audit" and the record under "audit"', () => {
    const lines: string[] = [];
    const log = createAuditLog(createLogger('book-controller', { write: (line) => lines.push(line) }), () => t0);
    log(write);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ msg: 'audit', level: 'info', audit: { ...write, time: t0.toISOString() } });
  });
});
