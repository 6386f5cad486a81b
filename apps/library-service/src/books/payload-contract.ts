// What a webhook integration says its payloads look like: config.payload_schema (a JSON Schema) and
// config.input_mapping (book inputs read from the payload). CreateBook compiles the schema with the validator and
// dialects the webhook-router checks payloads with (ajv: draft 2020-12, or draft-07 when "$schema" names it, with
// ajv-formats), so a book the API accepts never carries a schema the router cannot use.
import { Ajv2020 } from 'ajv/dist/2020.js';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import type { IntegrationConfig, SchemaField } from '@bdk/proto';

/** The largest payload_schema accepted, as JSON: a schema is compiled into code, and it is stored in etcd. */
export const maxPayloadSchemaBytes = 65_536;

const draft2020 = 'https://json-schema.org/draft/2020-12/schema';
const draft07 = 'http://json-schema.org/draft-07/schema';

/** A problem with one field of the integration's config: the field under `config.`, and why. */
export interface ConfigProblem {
  field: string;
  reason: string;
}

// One validator per dialect for the whole process: compiling the schema is the check, nothing is kept.
// Unknown keywords and formats are annotations (as JSON Schema says), not errors.
const validators = {
  [draft2020]: addFormats.default(new Ajv2020({ strict: false, logger: false })),
  [draft07]: addFormats.default(new Ajv({ strict: false, logger: false })),
};

function dialectOf(schema: Record<string, unknown>): keyof typeof validators | undefined {
  const declared = schema['$schema'];
  if (declared === undefined) return draft2020;
  if (typeof declared !== 'string') return undefined;
  const normalised = declared.replace(/#$/, '');
  if (normalised === draft2020) return draft2020;
  if (normalised === draft07 || normalised === draft07.replace('http:', 'https:')) return draft07;
  return undefined;
}

/** Why `schema` cannot check payloads, or undefined when it compiles. */
export function payloadSchemaProblem(schema: Record<string, unknown>): string | undefined {
  const size = Buffer.byteLength(JSON.stringify(schema));
  if (size > maxPayloadSchemaBytes) return `must be at most ${maxPayloadSchemaBytes} bytes as JSON, got ${size}`;
  const dialect = dialectOf(schema);
  if (!dialect) return `$schema must be "${draft2020}" (the default) or "${draft07}#", got ${JSON.stringify(schema['$schema'])}`;
  try {
    validators[dialect].compile(schema);
    return undefined;
  } catch (error) {
    return `is not a valid JSON Schema: ${(error as Error).message}`;
  } finally {
    // Compiled schemas stay in the instance by their $id; a later book may reuse the id with another schema.
    validators[dialect].removeSchema(schema);
  }
}

/** Why `pointer` is not a JSON Pointer (RFC 6901), or undefined. */
export function jsonPointerProblem(pointer: string): string | undefined {
  if (pointer.length > 1024) return 'must be at most 1024 characters';
  if (pointer !== '' && !pointer.startsWith('/')) return `must be a JSON Pointer such as "/ticket/customer_id", got "${pointer}"`;
  if (/~(?![01])/.test(pointer)) return `must escape "~" as "~0" and "/" as "~1" in a JSON Pointer, got "${pointer}"`;
  return undefined;
}

/** The first problem with a webhook integration's payload_schema and input_mapping, given the book's inputs. */
export function payloadContractProblem(type: string, config: IntegrationConfig, inputs: readonly SchemaField[]): ConfigProblem | undefined {
  const mapping = Object.entries(config.inputMapping);
  if (type !== 'webhook') {
    if (config.payloadSchema) return { field: 'payload_schema', reason: 'is allowed for webhook integrations only' };
    if (mapping.length > 0) return { field: 'input_mapping', reason: 'is allowed for webhook integrations only' };
    return undefined;
  }
  if (config.payloadSchema) {
    const reason = payloadSchemaProblem(config.payloadSchema);
    if (reason) return { field: 'payload_schema', reason };
  }
  const declared = new Set(inputs.map((input) => input.name));
  for (const [name, pointer] of mapping) {
    if (!declared.has(name)) return { field: `input_mapping.${name}`, reason: `"${name}" is not one of schema.inputs` };
    const reason = jsonPointerProblem(pointer);
    if (reason) return { field: `input_mapping.${name}`, reason };
  }
  return undefined;
}
