// Comparing what the controller wants with what the apiserver holds, so a reconcile with nothing to change
// writes nothing. Generic: nothing here knows about BDK.
import { createHash } from 'node:crypto';

/** Missing, or a value the apiserver drops when it stores an object ('' , [], {} under omitempty). */
function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && Object.keys(value).length === 0;
}

/**
 * Whether every field set in `desired` has the same value in `observed`. Fields only in `observed` (defaults,
 * status, metadata the apiserver adds) are ignored; arrays must have the same length and match item by item;
 * Dates compare by their ISO string (client-node deserializes timestamps).
 */
export function containsDesired(observed: unknown, desired: unknown): boolean {
  if (isEmpty(desired)) return isEmpty(observed) || desired === undefined;
  if (observed instanceof Date) return typeof desired === 'string' && observed.toISOString() === new Date(desired).toISOString();
  if (Array.isArray(desired)) {
    return Array.isArray(observed) && observed.length === desired.length && desired.every((item, i) => containsDesired(observed[i], item));
  }
  if (typeof desired === 'object' && desired !== null) {
    if (typeof observed !== 'object' || observed === null || Array.isArray(observed)) return false;
    const fields = observed as Record<string, unknown>;
    return Object.entries(desired).every(([key, value]) => containsDesired(fields[key], value));
  }
  return observed === desired;
}

/** Deep equality of JSON-like values, ignoring key order; undefined fields count as absent. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  return stableJson(a) === stableJson(b);
}

/** JSON with object keys sorted, so equal values give equal strings. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
      : v,
  );
}

/** A short content hash of a JSON-like value. */
export function contentHash(value: unknown): string {
  return createHash('sha256').update(stableJson(value)).digest('hex').slice(0, 16);
}
