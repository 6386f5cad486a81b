import { create } from '@bufbuild/protobuf';
import { describe, expect, it } from '@jest/globals';
import { IntegrationConfigSchema, SchemaFieldSchema } from '@bdk/proto';
import { payloadContract } from './payload-contract.js';

const inputs = [
  create(SchemaFieldSchema, { name: 'customer_id', type: 'string', required: true }),
  create(SchemaFieldSchema, { name: 'issue_type', type: 'string', enum: ['billing', 'technical'] }),
];

describe('payloadContract', () => {
  it('is undefined for an integration that declares neither a schema nor a mapped input', () => {
    expect(payloadContract('support-1-0-0', undefined, inputs)).toBeUndefined();
    expect(payloadContract('support-1-0-0', create(IntegrationConfigSchema, { endpoint: '/webhooks/zendesk' }), inputs)).toBeUndefined();
  });

  it('carries the schema and each mapped input with its declaration', () => {
    const config = create(IntegrationConfigSchema, {
      payloadSchema: { type: 'object' },
      inputMapping: { customer_id: '/ticket/customer_id', issue_type: '/ticket/type' },
    });
    expect(payloadContract('support-1-0-0', config, inputs)).toEqual({
      book: 'support-1-0-0',
      schema: { type: 'object' },
      inputs: [
        { name: 'customer_id', pointer: '/ticket/customer_id', type: 'string', required: true, enum: [] },
        { name: 'issue_type', pointer: '/ticket/type', type: 'string', required: false, enum: ['billing', 'technical'] },
      ],
    });
  });

  it('leaves out a mapped name the book does not declare', () => {
    const config = create(IntegrationConfigSchema, { inputMapping: { priority: '/ticket/priority' } });
    expect(payloadContract('support-1-0-0', config, inputs)).toBeUndefined();
    const withSchema = create(IntegrationConfigSchema, { payloadSchema: { type: 'object' }, inputMapping: { priority: '/ticket/priority' } });
    expect(payloadContract('support-1-0-0', withSchema, inputs)?.inputs).toEqual([]);
  });
});
