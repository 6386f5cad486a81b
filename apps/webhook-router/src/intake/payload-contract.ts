// What one book accepts as the payload of a webhook source: its webhook integration's config.payload_schema and
// the book inputs its config.input_mapping reads from the payload, with their declarations from schema.inputs.
import type { JsonObject } from '@bufbuild/protobuf';
import type { IntegrationConfig, SchemaField } from '@bdk/proto';

/** A book input read from the payload at `pointer`, checked against its declaration. */
export interface MappedInput {
  name: string;
  /** JSON Pointer (RFC 6901) into the payload. */
  pointer: string;
  /** string, number, integer, boolean, object, array; '' accepts any. */
  type: string;
  required: boolean;
  /** Allowed values of a string input; empty allows any. */
  enum: readonly string[];
}

export interface PayloadContract {
  /** The BookDefinition the contract is of (metadata.name: one book version); compiled schemas are kept by it. */
  book: string;
  /** A JSON Schema the whole payload must match. */
  schema?: JsonObject;
  inputs: readonly MappedInput[];
}

/**
 * The contract of a book's webhook integration, or undefined when it declares neither a schema nor a mapped input
 * (then any payload is the book's). A mapped name the book does not declare among its inputs has no declaration
 * to check against and is left out (CreateBook refuses one; a BookDefinition applied by hand may hold one).
 */
export function payloadContract(book: string, config: IntegrationConfig | undefined, inputs: readonly SchemaField[]): PayloadContract | undefined {
  const mapped: MappedInput[] = [];
  for (const [name, pointer] of Object.entries(config?.inputMapping ?? {})) {
    const declared = inputs.find((input) => input.name === name);
    if (declared) mapped.push({ name, pointer, type: declared.type, required: declared.required, enum: declared.enum });
  }
  const schema = config?.payloadSchema;
  if (!schema && mapped.length === 0) return undefined;
  return { book, ...(schema ? { schema } : {}), inputs: mapped };
}
