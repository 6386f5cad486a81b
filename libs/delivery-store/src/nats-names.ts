// Where the NATS delivery store keeps what: the names of its buckets, work-queue stream and consumer, and the keys
// inside the buckets. Organisation ids, sources and senders' delivery ids may hold characters a subject cannot
// ('.', '*', '>', spaces, anything else): they are encoded into tokens that can, so a key filter on an
// organisation matches that organisation's keys and no other's.
import { createHash } from 'node:crypto';

export interface NatsStoreNames {
  /** KV bucket of delivery records (metadata, per-target state, attempt log), key `<org>.<webhookId>`. */
  records: string;
  /** KV bucket of payloads, written once, key `<org>.<webhookId>`. */
  payloads: string;
  /** KV bucket of senders' delivery ids, key `<org>.<digest of source and id>`. */
  idempotency: string;
  /** Work-queue stream: one message per (webhook, target) pair that is owed an attempt. */
  workStream: string;
  workSubject: string;
  /** The one durable pull consumer every router replica shares. */
  consumer: string;
}

const namePattern = /^[A-Za-z0-9_-]+$/;

/** Every name derives from one prefix, so routers that share the prefix share the store. */
export function natsStoreNames(prefix: string): NatsStoreNames {
  if (!namePattern.test(prefix)) throw new Error(`NATS delivery store name ${JSON.stringify(prefix)}: only letters, digits, '-' and '_'`);
  return {
    records: `${prefix}-records`,
    payloads: `${prefix}-payloads`,
    idempotency: `${prefix}-idempotency`,
    workStream: `${prefix}-work`,
    workSubject: `${prefix}.work`,
    consumer: 'dispatch',
  };
}

/**
 * One subject token for any string: base64url of its UTF-8 bytes ('=' is allowed in KV keys but left out as it
 * carries nothing). An empty string becomes '_', which base64url never yields alone.
 */
export function keyToken(value: string): string {
  return value === '' ? '_' : Buffer.from(value, 'utf8').toString('base64url');
}

export function fromKeyToken(token: string): string {
  return token === '_' ? '' : Buffer.from(token, 'base64url').toString('utf8');
}

const webhookIdPattern = /^[0-9A-Za-z-]{1,64}$/;

/** The key of a delivery's record and of its payload. */
export function deliveryKey(organizationId: string, webhookId: string): string {
  if (!webhookIdPattern.test(webhookId)) throw new Error(`webhook id ${JSON.stringify(webhookId)} is not a key token`);
  return `${keyToken(organizationId)}.${webhookId}`;
}

/** Every delivery key of the organisation, as a key filter. */
export function organizationFilter(organizationId: string): string {
  return `${keyToken(organizationId)}.>`;
}

/** The key of a delivery's record among any organisation's, for finding a record by its webhook id alone. */
export function anyOrganizationKey(webhookId: string): string {
  if (!webhookIdPattern.test(webhookId)) throw new Error(`webhook id ${JSON.stringify(webhookId)} is not a key token`);
  return `*.${webhookId}`;
}

/**
 * The key of a sender's delivery id. The id is the sender's, of any length and alphabet, so it is hashed with the
 * source; the organisation stays readable as its own token, so one organisation's keys never meet another's.
 */
export function idempotencyKey(organizationId: string, source: string, senderKey: string): string {
  const digest = createHash('sha256').update(source).update('\u0000').update(senderKey).digest('base64url');
  return `${keyToken(organizationId)}.${digest}`;
}
