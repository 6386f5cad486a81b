import { fromJson, type JsonObject } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import { describe, expect, it } from '@jest/globals';
import { CreateBookRequestSchema } from '@bdk/proto';
import { validateCreateBook } from '../validation.js';
import { jsonPointerProblem, maxPayloadSchemaBytes, payloadSchemaProblem } from './payload-contract.js';

const ticketSchema = {
  type: 'object',
  required: ['ticket'],
  properties: { ticket: { type: 'object', properties: { id: { type: 'string' }, created: { type: 'string', format: 'date-time' } } } },
};

/** The CreateBook REST body with one webhook integration whose config is `config`. */
function createBook(config: JsonObject, integrationType = 'webhook') {
  return fromJson(CreateBookRequestSchema, {
    name: 'customer-support',
    version: '1.0.0',
    schema: { inputs: [{ name: 'customer_id', type: 'string', required: true }] },
    integrations: [{ name: 'zendesk', type: integrationType, config }],
  });
}

function refusal(config: JsonObject, integrationType?: string): string {
  try {
    validateCreateBook(createBook(config, integrationType));
  } catch (error) {
    const refused = ConnectError.from(error);
    expect(refused.code).toBe(Code.InvalidArgument);
    return refused.rawMessage;
  }
  throw new Error('the book was accepted');
}

describe('payloadSchemaProblem', () => {
  it('accepts draft 2020-12 schemas (the default) and draft-07 ones that say so', () => {
    expect(payloadSchemaProblem(ticketSchema)).toBeUndefined();
    expect(payloadSchemaProblem({ $schema: 'https://json-schema.org/draft/2020-12/schema', ...ticketSchema, $defs: { id: { type: 'string' } } })).toBeUndefined();
    expect(payloadSchemaProblem({ $schema: 'http://json-schema.org/draft-07/schema#', ...ticketSchema, definitions: { id: { type: 'string' } } })).toBeUndefined();
  });

  it('refuses a schema the validator cannot compile, with its reason', () => {
    expect(payloadSchemaProblem({ type: 'strnig' })).toMatch(/^is not a valid JSON Schema: .*type/);
    expect(payloadSchemaProblem({ properties: { id: { $ref: '#/$defs/missing' } } })).toMatch(/^is not a valid JSON Schema: .*missing/);
    expect(payloadSchemaProblem({ required: 'ticket' })).toMatch(/^is not a valid JSON Schema/);
  });

  it('refuses other dialects and oversized schemas', () => {
    expect(payloadSchemaProblem({ $schema: 'http://json-schema.org/draft-04/schema#', type: 'object' })).toMatch(/^\$schema must be/);
    const huge = { type: 'object', description: 'x'.repeat(maxPayloadSchemaBytes) };
    expect(payloadSchemaProblem(huge)).toMatch(/^must be at most 65536 bytes as JSON/);
  });

  it('keeps nothing between books: two schemas may use the same $id', () => {
    expect(payloadSchemaProblem({ $id: 'https://example.com/ticket', type: 'object' })).toBeUndefined();
    expect(payloadSchemaProblem({ $id: 'https://example.com/ticket', type: 'array' })).toBeUndefined();
  });
});

describe('jsonPointerProblem', () => {
  it.each(['', '/ticket/customer_id', '/a~1b/~0c', '/items/0'])('accepts %j', (pointer) => {
    expect(jsonPointerProblem(pointer)).toBeUndefined();
  });

  it.each(['ticket/customer_id', '/a~2b', '/a~'])('refuses %j', (pointer) => {
    expect(jsonPointerProblem(pointer)).toBeDefined();
  });
});

describe('CreateBook with a payload contract', () => {
  it('accepts the payload_schema and input_mapping of a webhook integration', () => {
    expect(() => validateCreateBook(createBook({ payload_schema: ticketSchema, input_mapping: { customer_id: '/ticket/customer_id' } }))).not.toThrow();
  });

  it('names the field of an invalid schema', () => {
    expect(refusal({ payload_schema: { type: 'strnig' } })).toMatch(/^integrations\[0\]\.config\.payload_schema: is not a valid JSON Schema/);
  });

  it('refuses a mapping of an undeclared input, or to a malformed pointer, naming the input', () => {
    expect(refusal({ input_mapping: { issue_type: '/ticket/type' } })).toBe('integrations[0].config.input_mapping.issue_type: "issue_type" is not one of schema.inputs');
    expect(refusal({ input_mapping: { customer_id: 'ticket.customer_id' } })).toMatch(/^integrations\[0\]\.config\.input_mapping\.customer_id: must be a JSON Pointer/);
  });

  it('refuses both on an api integration', () => {
    expect(refusal({ payload_schema: ticketSchema }, 'api')).toBe('integrations[0].config.payload_schema: is allowed for webhook integrations only');
    expect(refusal({ input_mapping: { customer_id: '/id' } }, 'api')).toBe('integrations[0].config.input_mapping: is allowed for webhook integrations only');
  });
});
