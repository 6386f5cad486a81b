import type { JsonObject } from '@bufbuild/protobuf';
import { describe, expect, it } from '@jest/globals';
import type { MappedInput, PayloadContract } from './payload-contract.js';
import { createPayloadValidator, maxViolations, parsePayload, type ParsedPayload } from './payload-validator.js';

const ticketSchema: JsonObject = {
  type: 'object',
  required: ['ticket'],
  properties: {
    ticket: {
      type: 'object',
      required: ['id'],
      properties: { id: { type: 'string' }, priority: { enum: ['low', 'high'] }, created: { type: 'string', format: 'date-time' } },
      additionalProperties: false,
    },
  },
};

const json = (value: unknown): ParsedPayload => parsePayload(Buffer.from(JSON.stringify(value)));
const contract = (schema: JsonObject | undefined, inputs: MappedInput[] = [], book = 'support-1-0-0'): PayloadContract => ({
  book,
  ...(schema ? { schema } : {}),
  inputs,
});
const input = (overrides: Partial<MappedInput>): MappedInput => ({ name: 'customer_id', pointer: '/ticket/customer_id', type: 'string', required: true, enum: [], ...overrides });

describe('parsePayload', () => {
  it('parses the exact bytes as UTF-8 JSON', () => {
    expect(parsePayload(Buffer.from('{"subject":"caf\u00e9 \\u00e9","n":1.50}'))).toEqual({ json: true, value: { subject: 'café é', n: 1.5 } });
  });

  it('answers a violation at the root for what is not JSON, without quoting the payload', () => {
    const cases: [Uint8Array, string][] = [
      [Buffer.from('payload=secret-token-123'), 'must be JSON'],
      [Buffer.from('{"token":"secret-token-123",}'), 'must be JSON (invalid at character 28)'],
      [Buffer.from('{"token":'), 'must be JSON (it ends too early)'],
      [Buffer.from('  '), 'must be JSON (it is empty)'],
      [Uint8Array.from([0x7b, 0xff, 0x7d]), 'must be JSON in UTF-8'],
    ];
    for (const [payload, description] of cases) {
      expect(parsePayload(payload)).toEqual({ json: false, violation: { field: '', description } });
    }
  });
});

describe('createPayloadValidator', () => {
  it('accepts a payload that matches the schema (draft 2020-12 by default)', () => {
    const validator = createPayloadValidator({ maxSchemas: 10 });
    expect(validator.check(contract(ticketSchema), json({ ticket: { id: '1', priority: 'high', created: '2024-01-01T00:00:00Z' } }))).toEqual({ valid: true });
  });

  it('names each violation by the JSON Pointer of the payload part it is about, with the validator message', () => {
    const validator = createPayloadValidator({ maxSchemas: 10 });
    const verdict = validator.check(contract(ticketSchema), json({ ticket: { id: 12345, priority: 'urgent', created: 'yesterday', extra: true } }));
    expect(verdict).toEqual({
      valid: false,
      violations: expect.arrayContaining([
        { field: '/ticket/id', description: 'must be string' },
        { field: '/ticket/priority', description: 'must be equal to one of the allowed values' },
        { field: '/ticket/created', description: 'must match format "date-time"' },
        { field: '/ticket/extra', description: 'must NOT have additional properties' },
      ]) as unknown,
    });
    expect(validator.check(contract(ticketSchema), json({ ticket: {} }))).toEqual({
      valid: false,
      violations: [{ field: '/ticket/id', description: "must have required property 'id'" }],
    });
    expect(validator.check(contract(ticketSchema), json([]))).toEqual({ valid: false, violations: [{ field: '', description: 'must be object' }] });
  });

  it('checks draft-07 schemas that say so', () => {
    const validator = createPayloadValidator({ maxSchemas: 10 });
    const draft07: JsonObject = { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', dependencies: { a: ['b'] }, definitions: { n: { type: 'integer' } }, properties: { n: { $ref: '#/definitions/n' } } };
    expect(validator.check(contract(draft07), json({ a: 1, b: 2, n: 3 }))).toEqual({ valid: true });
    expect(validator.check(contract(draft07), json({ a: 1, n: 1.5 }))).toEqual({
      valid: false,
      violations: [
        { field: '/b', description: 'must have property b when property a is present' },
        { field: '/n', description: 'must be integer' },
      ],
    });
  });

  it('refuses what is not JSON for any contract', () => {
    const validator = createPayloadValidator({ maxSchemas: 10 });
    expect(validator.check(contract(undefined, [input({})]), parsePayload(Buffer.from('a=b')))).toEqual({ valid: false, violations: [{ field: '', description: 'must be JSON' }] });
  });

  it('checks mapped inputs: present when required, of their type, one of their values', () => {
    const validator = createPayloadValidator({ maxSchemas: 10 });
    const inputs = [
      input({}),
      input({ name: 'issue_type', pointer: '/ticket/type', required: false, enum: ['billing', 'technical'] }),
      input({ name: 'count', pointer: '/ticket/count', type: 'integer', required: false }),
      input({ name: 'tags', pointer: '/ticket/tags', type: 'array', required: false }),
    ];
    expect(validator.check(contract(undefined, inputs), json({ ticket: { customer_id: 'c-1', type: 'billing', count: 2, tags: [] } }))).toEqual({ valid: true });
    expect(validator.check(contract(undefined, inputs), json({ ticket: { customer_id: 'c-1' } }))).toEqual({ valid: true });
    expect(validator.check(contract(undefined, inputs), json({ ticket: { type: 'sales', count: 2.5, tags: {} } }))).toEqual({
      valid: false,
      violations: [
        { field: '/ticket/customer_id', description: 'must hold the book\'s required input "customer_id"' },
        { field: '/ticket/type', description: 'must be one of billing, technical (the book\'s input "issue_type")' },
        { field: '/ticket/count', description: 'must be of type integer (the book\'s input "count")' },
        { field: '/ticket/tags', description: 'must be of type array (the book\'s input "tags")' },
      ],
    });
    expect(validator.check(contract(undefined, [input({})]), json({ ticket: { customer_id: null } }))).toEqual({
      valid: false,
      violations: [{ field: '/ticket/customer_id', description: 'must be of type string (the book\'s input "customer_id")' }],
    });
  });

  it('reports schema and input violations together, at most a bounded number', () => {
    const validator = createPayloadValidator({ maxSchemas: 10 });
    const verdict = validator.check(contract({ type: 'object', properties: { ticket: { type: 'string' } } }, [input({})]), json({ ticket: 1 }));
    expect(verdict).toEqual({
      valid: false,
      violations: [
        { field: '/ticket', description: 'must be string' },
        { field: '/ticket/customer_id', description: 'must hold the book\'s required input "customer_id"' },
      ],
    });
    const many = validator.check(contract({ type: 'array', items: { type: 'string' } }, [], 'many-1-0-0'), json(Array.from({ length: 200 }, (_, i) => i)));
    expect(many.valid === false && many.violations).toHaveLength(maxViolations);
  });

  it('compiles a schema once per book version, again when the book holds another schema, and keeps a bounded number', () => {
    const validator = createPayloadValidator({ maxSchemas: 2 });
    const payload = json({ ticket: { id: '1' } });
    // Equal schemas arriving as new objects (a refreshed subscriber list) reuse the compiled one.
    for (let i = 0; i < 3; i += 1) expect(validator.check(contract(structuredClone(ticketSchema), [], 'a-1-0-0'), payload)).toEqual({ valid: true });
    expect(validator.size).toBe(1);
    expect(validator.compilations).toBe(1);
    expect(validator.check(contract({ type: 'array' }, [], 'a-1-0-0'), payload)).toEqual({ valid: false, violations: [{ field: '', description: 'must be array' }] });
    expect(validator.compilations).toBe(2);
    validator.check(contract(ticketSchema, [], 'b-1-0-0'), payload);
    validator.check(contract(structuredClone(ticketSchema), [], 'c-1-0-0'), payload);
    expect(validator.size).toBe(2);
    expect(validator.compilations).toBe(4);
    // Dropped beyond the bound: a-1-0-0 is compiled again when it comes back.
    validator.check(contract({ type: 'array' }, [], 'a-1-0-0'), payload);
    expect(validator.compilations).toBe(5);
    // Kept: c-1-0-0's schema, arriving as a new object, is compared, not compiled.
    validator.check(contract(structuredClone(ticketSchema), [], 'c-1-0-0'), payload);
    expect(validator.compilations).toBe(5);
  });

  it('lets two books use one $id with different schemas', () => {
    const validator = createPayloadValidator({ maxSchemas: 10 });
    const payload = json({ id: 'x' });
    expect(validator.check(contract({ $id: 'https://example.com/ticket', type: 'object' }, [], 'a-1-0-0'), payload)).toEqual({ valid: true });
    expect(validator.check(contract({ $id: 'https://example.com/ticket', type: 'string' }, [], 'b-1-0-0'), payload)).toEqual({
      valid: false,
      violations: [{ field: '', description: 'must be string' }],
    });
  });

  it('says it cannot tell when the book\u2019s schema does not compile or is of another dialect', () => {
    const validator = createPayloadValidator({ maxSchemas: 10 });
    expect(validator.check(contract({ type: 'strnig' }), json({}))).toEqual({ valid: 'unknown', reason: expect.stringContaining('schema is invalid') as unknown });
    expect(validator.check(contract({ $schema: 'http://json-schema.org/draft-04/schema#' }, [], 'old-1-0-0'), json({}))).toEqual({
      valid: 'unknown',
      reason: '$schema "http://json-schema.org/draft-04/schema#" is neither draft 2020-12 nor draft-07',
    });
  });
});
