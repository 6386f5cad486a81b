// The body of POST /api/v1/books from a -f document: a BookDefinition (the chart's example) or the REST body itself.
import { CliError } from './errors.js';
import { customResourceSpec, type ResourceDocument } from './resource-file.js';

/** The fields of CreateBookRequest; a BookDefinition's spec has the same names. */
const bookFields = ['name', 'version', 'description', 'schema', 'capabilities', 'runtime', 'integrations'] as const;

export function createBookRequest(document: ResourceDocument): Record<string, unknown> {
  const spec = customResourceSpec(document, 'BookDefinition');
  const fields = spec ?? document.value;
  const prefix = spec ? 'spec.' : '';
  const unknown = Object.keys(fields).filter((key) => !(bookFields as readonly string[]).includes(key) && !(spec && key === 'lifecycle'));
  if (unknown.length > 0) throw new CliError(`${document.source}: ${prefix}${unknown[0]}: not a field of a book (fields: ${bookFields.join(', ')})`);
  for (const required of ['name', 'version'] as const) {
    if (typeof fields[required] !== 'string' || fields[required] === '') throw new CliError(`${document.source}: ${prefix}${required}: required`);
  }
  const body: Record<string, unknown> = {};
  for (const field of bookFields) if (fields[field] !== undefined) body[field] = fields[field];
  return body;
}
