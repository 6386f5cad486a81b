import { create, fromJson } from '@bufbuild/protobuf';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { CreateBookRequestSchema, PromptSchema, type Book } from '@bdk/proto';
import { bdkLabels, type BookDefinition } from '@bdk/k8s';
import { workspaceRoot } from '@bdk/testing';
import { bookFromDefinition, bookSpecFromRequest } from './book-mapping.js';

// The spec's BookDefinition example, as stored in the chart.
const seedDefinition = parse(readFileSync(path.join(workspaceRoot, 'charts/bdk/examples/book-definition.yaml'), 'utf8')) as BookDefinition;

function requestFrom(book: Book) {
  return create(CreateBookRequestSchema, {
    name: book.name,
    version: book.version,
    description: book.description,
    schema: book.schema,
    capabilities: book.capabilities,
    runtime: book.runtime,
    integrations: book.integrations,
  });
}

describe('bookFromDefinition and bookSpecFromRequest', () => {
  it("round-trip the spec's BookDefinition example unchanged", () => {
    const stored: BookDefinition = {
      ...seedDefinition,
      metadata: { ...seedDefinition.metadata, labels: { [bdkLabels.bookId]: 'b7d1f6c2-0c7e-4a8e-9a43-2b1f0f6e9d11' } },
    };
    const book = bookFromDefinition(stored);
    expect(book.bookId).toBe('b7d1f6c2-0c7e-4a8e-9a43-2b1f0f6e9d11');
    expect(book.schema?.outputs[0]?.schema).toEqual({ status: 'string', actions: 'array' });
    expect(book.integrations.map((integration) => integration.config?.endpoint)).toEqual(['/webhooks/zendesk', '']);
    expect(bookSpecFromRequest(requestFrom(book), [])).toEqual(seedDefinition.spec);
  });

  it("stores the spec's POST /api/v1/books body with nothing the client did not send", () => {
    const request = fromJson(CreateBookRequestSchema, {
      name: 'customer-support',
      version: '1.0.0',
      description: 'Customer support automation',
      schema: { inputs: [{ name: 'customer_id', type: 'string', required: true }], outputs: [{ name: 'resolution', type: 'object' }] },
      capabilities: ['ticket_creation', 'customer_lookup'],
      runtime: { language: 'python', version: '3.11' },
    });
    expect(bookSpecFromRequest(request, [])).toEqual({
      name: 'customer-support',
      version: '1.0.0',
      description: 'Customer support automation',
      schema: { inputs: [{ name: 'customer_id', type: 'string', required: true }], outputs: [{ name: 'resolution', type: 'object' }] },
      capabilities: ['ticket_creation', 'customer_lookup'],
      runtime: { language: 'python', version: '3.11' },
    });
  });

  it("stores a webhook integration's payload_schema and input_mapping as given and reads them back", () => {
    const payloadSchema = { type: 'object', required: ['ticket'], properties: { ticket: { type: 'object' }, score: { type: 'number', minimum: 0 } } };
    const request = fromJson(CreateBookRequestSchema, {
      name: 'customer-support',
      version: '1.0.0',
      integrations: [
        { name: 'zendesk', type: 'webhook', config: { payload_schema: payloadSchema, input_mapping: { customer_id: '/ticket/customer_id' } } },
        { name: 'slack', type: 'api', config: { scopes: ['chat:write'] } },
      ],
    });
    const spec = bookSpecFromRequest(request, []);
    expect(spec.integrations).toEqual([
      { name: 'zendesk', type: 'webhook', config: { payload_schema: payloadSchema, input_mapping: { customer_id: '/ticket/customer_id' } } },
      { name: 'slack', type: 'api', config: { scopes: ['chat:write'] } },
    ]);
    const [zendesk, slack] = bookFromDefinition({ ...seedDefinition, spec }).integrations;
    expect(zendesk?.config?.payloadSchema).toEqual(payloadSchema);
    expect(zendesk?.config?.inputMapping).toEqual({ customer_id: '/ticket/customer_id' });
    expect(slack?.config?.payloadSchema).toBeUndefined();
    expect(slack?.config?.inputMapping).toEqual({});
  });

  it('stores the prompts with the definition and reads them back', () => {
    const prompts = [create(PromptSchema, { name: 'triage', version: '3', template: 'Classify: {{issue}}', model: '' })];
    const spec = bookSpecFromRequest(create(CreateBookRequestSchema, { name: 'customer-support', version: '1.0.0' }), prompts);
    expect(spec.prompts).toEqual([{ name: 'triage', version: '3', template: 'Classify: {{issue}}' }]);
    const book = bookFromDefinition({ ...seedDefinition, spec });
    expect(book.prompts).toEqual([expect.objectContaining({ name: 'triage', version: '3', template: 'Classify: {{issue}}', model: '' })]);
  });

  it('answers created_at from the creationTimestamp, as the apiserver sends it (a string)', () => {
    const stored = { ...seedDefinition, metadata: { ...seedDefinition.metadata, creationTimestamp: '2024-01-01T00:00:00Z' } } as unknown as BookDefinition;
    const createdAt = bookFromDefinition(stored).createdAt;
    expect(createdAt && timestampDate(createdAt).toISOString()).toBe('2024-01-01T00:00:00.000Z');
  });

  it('prints a nested schema value that is not a string as JSON', () => {
    const spec = { name: 'b', version: '1.0.0', schema: { outputs: [{ name: 'resolution', schema: { limits: { max: 3 } } }] } };
    expect(bookFromDefinition({ ...seedDefinition, spec }).schema?.outputs[0]?.schema).toEqual({ limits: '{"max":3}' });
  });

  it("answers a BookDefinition applied without the API (no book-id label) with its uid as book_id", () => {
    const uid = '9d2f4c1a-6b3e-4f5a-8c7d-0e1f2a3b4c5d';
    expect(bookFromDefinition({ ...seedDefinition, metadata: { ...seedDefinition.metadata, uid } }).bookId).toBe(uid);
  });

  it('answers the lifecycle the BookDefinition carries, and none when it carries none', () => {
    const spec = { ...seedDefinition.spec, lifecycle: { state: 'deprecated' as const, message: 'use 2.0.0' } };
    expect(bookFromDefinition({ ...seedDefinition, spec }).lifecycle).toMatchObject({ state: 'deprecated', message: 'use 2.0.0' });
    expect(bookFromDefinition({ ...seedDefinition, spec: { ...spec, lifecycle: { state: 'withdrawn' as const } } }).lifecycle).toMatchObject({ state: 'withdrawn', message: '' });
    expect(bookFromDefinition(seedDefinition).lifecycle).toBeUndefined();
  });
});
