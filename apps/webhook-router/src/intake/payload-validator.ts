// Checks a webhook payload against a book's PayloadContract: its JSON Schema (ajv with ajv-formats: draft 2020-12,
// or draft-07 when "$schema" names it, the dialects CreateBook accepts) and its mapped inputs (present when
// required, of their declared type, one of their enum values). A schema is compiled once per book version and
// kept (least recently used dropped beyond a bound); every webhook after that costs one call of compiled code.
import { Ajv2020 } from 'ajv/dist/2020.js';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { JsonObject } from '@bufbuild/protobuf';
import { childPointer, resolvePointer } from './json-pointer.js';
import type { MappedInput, PayloadContract } from './payload-contract.js';

/** One way a payload fails a contract: where (a JSON Pointer into the payload) and why. */
export interface Violation {
  field: string;
  description: string;
}

/** A payload as JSON, parsed once per webhook for every contract it is checked against. */
export type ParsedPayload = { json: true; value: unknown } | { json: false; violation: Violation };

export type ContractVerdict =
  | { valid: true }
  | { valid: false; violations: Violation[] }
  /** The book's schema cannot be compiled: nothing can be said of the payload. */
  | { valid: 'unknown'; reason: string };

export interface PayloadValidator {
  check(contract: PayloadContract, payload: ParsedPayload): ContractVerdict;
  /** Compiled schemas held. */
  readonly size: number;
  /** Schemas compiled since start: one per book version and schema, unless dropped and needed again. */
  readonly compilations: number;
}

/** At most this many violations are reported per book; more say nothing a sender could act on first. */
export const maxViolations = 50;

const draft2020 = 'https://json-schema.org/draft/2020-12/schema';
const draft07 = 'http://json-schema.org/draft-07/schema';

function dialectOf(declared: unknown): typeof draft2020 | typeof draft07 | undefined {
  if (declared === undefined) return draft2020;
  if (typeof declared !== 'string') return undefined;
  const uri = declared.replace(/#$/, '');
  if (uri === draft2020) return draft2020;
  if (uri === draft07 || uri === draft07.replace('http:', 'https:')) return draft07;
  return undefined;
}

/**
 * The exact bytes as UTF-8 JSON; anything else (bad UTF-8, a form body, truncated JSON) is a violation at the root.
 * The parser's own message quotes the payload, which is the sender's data and does not go into logs: only the
 * position is kept.
 */
export function parsePayload(payload: Uint8Array): ParsedPayload {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(payload);
  } catch {
    return { json: false, violation: { field: '', description: 'must be JSON in UTF-8' } };
  }
  try {
    return { json: true, value: JSON.parse(text) };
  } catch (error) {
    const message = (error as Error).message;
    const position = /at position (\d+)/.exec(message)?.[1];
    let where = '';
    if (text.trim() === '') where = ' (it is empty)';
    else if (position !== undefined) where = ` (invalid at character ${position})`;
    else if (message.includes('end of JSON')) where = ' (it ends too early)';
    return { json: false, violation: { field: '', description: `must be JSON${where}` } };
  }
}

interface Compiled {
  text: string;
  validate: ValidateFunction | undefined;
  problem?: string;
}

export function createPayloadValidator(options: { maxSchemas: number }): PayloadValidator {
  // allErrors: the sender is told every violation at once. Unknown keywords and formats are annotations, as
  // JSON Schema says (and as CreateBook compiled them).
  const dialects = {
    [draft2020]: addFormats.default(new Ajv2020({ allErrors: true, strict: false, logger: false })),
    [draft07]: addFormats.default(new Ajv({ allErrors: true, strict: false, logger: false })),
  };
  // By book, in least-recently-used order; by schema object too, since a cached subscriber list hands the same
  // object to every webhook of its lifetime and comparing it costs nothing.
  const byBook = new Map<string, Compiled>();
  const byObject = new WeakMap<JsonObject, Compiled>();
  let compilations = 0;

  function compile(schema: JsonObject, text: string): Compiled {
    compilations += 1;
    const dialect = dialectOf(schema['$schema']);
    if (!dialect) return { text, validate: undefined, problem: `$schema ${JSON.stringify(schema['$schema'])} is neither draft 2020-12 nor draft-07` };
    const ajv = dialects[dialect];
    try {
      return { text, validate: ajv.compile(schema) };
    } catch (error) {
      return { text, validate: undefined, problem: (error as Error).message };
    } finally {
      // The compiled function stands alone; the instance forgets the schema, so two books may use one $id.
      ajv.removeSchema(schema);
    }
  }

  function compiledFor(book: string, schema: JsonObject): Compiled {
    let compiled = byObject.get(schema);
    const kept = byBook.get(book);
    if (!compiled) {
      const text = JSON.stringify(schema);
      compiled = kept?.text === text ? kept : compile(schema, text);
      byObject.set(schema, compiled);
    }
    byBook.delete(book);
    byBook.set(book, compiled);
    if (byBook.size > options.maxSchemas) byBook.delete(byBook.keys().next().value ?? '');
    return compiled;
  }

  return {
    check(contract, payload) {
      if (!payload.json) return { valid: false, violations: [payload.violation] };
      const violations: Violation[] = [];
      if (contract.schema) {
        const compiled = compiledFor(contract.book, contract.schema);
        if (!compiled.validate) return { valid: 'unknown', reason: compiled.problem ?? 'the schema cannot be compiled' };
        if (!compiled.validate(payload.value)) violations.push(...(compiled.validate.errors ?? []).map(schemaViolation));
      }
      for (const input of contract.inputs) {
        const violation = inputViolation(input, payload.value);
        if (violation) violations.push(violation);
      }
      return violations.length === 0 ? { valid: true } : { valid: false, violations: violations.slice(0, maxViolations) };
    },
    get size() {
      return byBook.size;
    },
    get compilations() {
      return compilations;
    },
  };
}

/** An ajv error as a violation: a missing or unexpected property is named by its own pointer, not its parent's. */
function schemaViolation(error: ErrorObject): Violation {
  const params = error.params as Record<string, unknown>;
  const property = [params['missingProperty'], params['additionalProperty'], params['unevaluatedProperty']].find((name) => typeof name === 'string');
  return {
    field: typeof property === 'string' ? childPointer(error.instancePath, property) : error.instancePath,
    description: error.message ?? `fails "${error.keyword}"`,
  };
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number';
    case 'integer':
      return Number.isInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
    default:
      return true;
  }
}

function inputViolation(input: MappedInput, document: unknown): Violation | undefined {
  const found = resolvePointer(document, input.pointer);
  if (!found.found) {
    return input.required ? { field: input.pointer, description: `must hold the book's required input "${input.name}"` } : undefined;
  }
  if (!hasType(found.value, input.type)) {
    return { field: input.pointer, description: `must be of type ${input.type} (the book's input "${input.name}")` };
  }
  if (input.enum.length > 0 && !(typeof found.value === 'string' && input.enum.includes(found.value))) {
    return { field: input.pointer, description: `must be one of ${input.enum.join(', ')} (the book's input "${input.name}")` };
  }
  return undefined;
}
