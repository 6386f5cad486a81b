// JSON Pointers (RFC 6901) into a parsed payload: where a book's mapped input is read from, and how a violation
// names the part of the payload it is about.

/** The value `pointer` points at in `document`, or `found: false`. Only own properties count. */
export function resolvePointer(document: unknown, pointer: string): { found: true; value: unknown } | { found: false } {
  if (pointer === '') return { found: true, value: document };
  if (!pointer.startsWith('/')) return { found: false };
  let value: unknown = document;
  for (const token of pointer.slice(1).split('/')) {
    const key = token.replaceAll('~1', '/').replaceAll('~0', '~');
    if (Array.isArray(value)) {
      // An index is digits without a leading zero; "-" (past the end) never points at a value.
      if (!/^(0|[1-9][0-9]*)$/.test(key) || Number(key) >= value.length) return { found: false };
      value = value[Number(key)];
    } else if (typeof value === 'object' && value !== null && Object.hasOwn(value, key)) {
      value = (value as Record<string, unknown>)[key];
    } else {
      return { found: false };
    }
  }
  return { found: true, value };
}

/** `parent` extended by one property name, escaped. */
export function childPointer(parent: string, name: string): string {
  return `${parent}/${name.replaceAll('~', '~0').replaceAll('/', '~1')}`;
}
