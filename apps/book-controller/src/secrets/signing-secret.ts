// The layout of an instance's webhook signing Secret: one data key per webhook source (lower-cased), holding JSON
// {"current": "...", "previous": "...", "previousExpiresAt": "<RFC 3339>"}. A rotation makes the new secret
// current and keeps the one it replaces verifying until previousExpiresAt, so senders can switch over without
// a window in which their webhooks are refused. Pure: reading and writing the Secret is the caller's.

export interface SigningEntry {
  current: string;
  previous?: string;
  /** RFC 3339; present exactly when `previous` is. */
  previousExpiresAt?: string;
}

/** The data key of a source's entry. Sources are matched case-insensitively (webhookIntegrationFor), so one key each. */
export function signingKey(source: string): string {
  return source.toLowerCase();
}

// A source name as the routes and integrations use it: a DNS label, which is also a valid Secret data key.
const sourceName = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function validSource(source: string): boolean {
  return sourceName.test(signingKey(source));
}

/** The entry stored under a key, or undefined when it is missing or not an entry (nothing can be verified with it). */
export function parseSigningEntry(raw: string | undefined): SigningEntry | undefined {
  if (raw === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { current, previous, previousExpiresAt } = value as Record<string, unknown>;
  if (typeof current !== 'string' || current === '') return undefined;
  if (typeof previous === 'string' && previous !== '' && typeof previousExpiresAt === 'string' && !Number.isNaN(Date.parse(previousExpiresAt))) {
    return { current, previous, previousExpiresAt };
  }
  return { current };
}

export function serializeSigningEntry(entry: SigningEntry): string {
  const { current, previous, previousExpiresAt } = entry;
  return JSON.stringify(previous !== undefined && previousExpiresAt !== undefined ? { current, previous, previousExpiresAt } : { current });
}

/**
 * The entry after `next` becomes current. The replaced secret stays valid for `previousValidSeconds` (0: it
 * stops at once). Storing the secret that is already current changes nothing, so a retried call does not
 * replace the previous secret with the current one or move its expiry.
 */
export function rotateSigningEntry(existing: SigningEntry | undefined, next: string, previousValidSeconds: number, now: Date): SigningEntry {
  if (existing?.current === next) return existing;
  if (!existing || previousValidSeconds <= 0) return { current: next };
  return { current: next, previous: existing.current, previousExpiresAt: new Date(now.getTime() + previousValidSeconds * 1000).toISOString() };
}

/** The secrets that verify at `now`: the current one, then the previous one until it expires. */
export function verifyingSecrets(entry: SigningEntry, now: Date): string[] {
  const previousValid = entry.previous !== undefined && entry.previousExpiresAt !== undefined && Date.parse(entry.previousExpiresAt) > now.getTime();
  return previousValid && entry.previous !== undefined ? [entry.current, entry.previous] : [entry.current];
}

/** When the previous secret stops verifying, if one still does at `now`. */
export function previousExpiry(entry: SigningEntry, now: Date): Date | undefined {
  if (entry.previousExpiresAt === undefined) return undefined;
  const expiry = new Date(entry.previousExpiresAt);
  return expiry.getTime() > now.getTime() ? expiry : undefined;
}
