// The body of POST /api/v1/books/{book_id}/instances from a -f document: a BookInstanceDefinition (the chart's
// example) or the REST body itself. A resource names its book by bookRef (BookDefinition name and version), which
// the REST API does not know, so the book id comes from --book, the body's book_id, or a book of that name.
import { InvalidArgumentError } from 'commander';
import { CliError } from './errors.js';
import { customResourceSpec, isObject, type ResourceDocument } from './resource-file.js';

const instanceFields = ['book_id', 'customer_namespace', 'organization_id', 'deployment', 'networking', 'credentials', 'configuration'] as const;

export interface InstanceRequest {
  /** From the body's book_id; undefined for a resource. */
  bookId?: string;
  /** A resource's spec.bookRef. */
  bookRef?: { name: string; version: string };
  body: Record<string, unknown>;
}

export function createInstanceRequest(document: ResourceDocument): InstanceRequest {
  const spec = customResourceSpec(document, 'BookInstanceDefinition');
  const where = document.source;
  if (!spec) {
    const unknown = Object.keys(document.value).filter((key) => !(instanceFields as readonly string[]).includes(key));
    if (unknown.length > 0) throw new CliError(`${where}: ${unknown[0]}: not a field of an instance (fields: ${instanceFields.join(', ')})`);
    const { book_id: bookId, ...body } = document.value;
    if (bookId !== undefined && typeof bookId !== 'string') throw new CliError(`${where}: book_id: expected a string`);
    return bookId ? { bookId, body } : { body };
  }
  const bookRef = spec['bookRef'];
  if (!isObject(bookRef) || typeof bookRef['name'] !== 'string' || !bookRef['name']) throw new CliError(`${where}: spec.bookRef.name: required`);
  const customer = spec['customer'];
  if (!isObject(customer)) throw new CliError(`${where}: spec.customer: required`);
  const body: Record<string, unknown> = { customer_namespace: customer['namespace'] };
  if (customer['organization_id'] !== undefined) body['organization_id'] = customer['organization_id'];
  for (const field of ['deployment', 'networking', 'credentials', 'configuration'] as const) {
    if (spec[field] !== undefined) body[field] = spec[field];
  }
  return { bookRef: { name: bookRef['name'], version: String(bookRef['version'] ?? '') }, body };
}

/** Parses `--credential NAME=VALUE`. */
export function parseCredentialValue(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const separator = value.indexOf('=');
  // The value is a secret: the message never repeats what was given.
  if (separator <= 0) throw new InvalidArgumentError('expected NAME=VALUE with a non-empty NAME');
  return { ...previous, [value.slice(0, separator)]: value.slice(separator + 1) };
}

/** Sets credential values (a resource file holds none); a name the body does not list is added as an external one. */
export function withCredentialValues(body: Record<string, unknown>, values: Record<string, string>): Record<string, unknown> {
  if (Object.keys(values).length === 0) return body;
  const listed = Array.isArray(body['credentials']) ? (body['credentials'] as Record<string, unknown>[]) : [];
  const credentials = listed.map((credential) => (typeof credential['name'] === 'string' && credential['name'] in values ? { ...credential, value: values[credential['name']] } : credential));
  for (const [name, value] of Object.entries(values)) {
    if (!listed.some((credential) => credential['name'] === name)) credentials.push({ name, value });
  }
  return { ...body, credentials };
}
