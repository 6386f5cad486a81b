// The chart's example resources (charts/bdk/examples) as the create commands' input.
import { describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createBookRequest } from './book-request.js';
import { createInstanceRequest, parseCredentialValue, withCredentialValues } from './instance-request.js';
import { parseResourceText, type ResourceDocument } from './resource-file.js';

const examples = path.resolve(import.meta.dirname, '../../../charts/bdk/examples');

/** The only document of a file's text. */
function only(text: string, name: string): ResourceDocument {
  const [document, ...more] = parseResourceText(text, name);
  if (!document || more.length > 0) throw new Error(`${name}: expected one document`);
  return document;
}

const example = async (name: string) => only(await readFile(path.join(examples, name), 'utf8'), name);

describe('createBookRequest', () => {
  it("takes the BookDefinition example's spec as the REST body", async () => {
    const document = await example('book-definition.yaml');
    const body = createBookRequest(document);
    expect(Object.keys(body)).toEqual(['name', 'version', 'description', 'schema', 'capabilities', 'runtime', 'integrations']);
    expect(body).toMatchObject({ name: 'customer-support', version: '1.0.0', integrations: [{ name: 'zendesk', type: 'webhook' }, { name: 'slack', type: 'api' }] });
  });

  it('takes a REST body as it is, and names the field that is wrong', () => {
    const json = only('{"name": "n", "version": "1.0.0"}', 'book.json');
    expect(createBookRequest(json)).toEqual({ name: 'n', version: '1.0.0' });
    const noVersion = only('apiVersion: bdk.voyager.io/v1\nkind: BookDefinition\nspec: {name: n}\n', 'book.yaml');
    expect(() => createBookRequest(noVersion)).toThrow('book.yaml: spec.version: required');
    const typo = only('{"name": "n", "version": "1.0.0", "capabilitys": []}', 'book.json');
    expect(() => createBookRequest(typo)).toThrow('book.json: capabilitys: not a field of a book');
    const instance = only('apiVersion: bdk.voyager.io/v1\nkind: BookInstanceDefinition\nspec: {}\n', 'x.yaml');
    expect(() => createBookRequest(instance)).toThrow('x.yaml: kind: expected BookDefinition, got "BookInstanceDefinition"');
  });
});

describe('createInstanceRequest', () => {
  it("maps the BookInstanceDefinition example's spec to the REST body and keeps its bookRef", async () => {
    const document = await example('book-instance-definition.yaml');
    const request = createInstanceRequest(document);
    expect(request.bookRef).toEqual({ name: 'customer-support-book', version: '1.0.0' });
    expect(request.body).toMatchObject({
      customer_namespace: 'customer-acme',
      organization_id: 'org-uuid-123',
      deployment: { type: 'primary', replicas: 2, resources: { cpu: '500m', memory: '1Gi' } },
      networking: { tailscale: { enabled: true, tailnet: 'acme-corp' } },
      credentials: [{ name: 'zendesk_api_key', source: 'external' }, { name: 'slack_bot_token', source: 'external' }],
      configuration: { environment: 'production', custom_settings: { max_tickets_per_hour: 100 } },
    });
    // The example's status is the controller's to write.
    expect(request.body).not.toHaveProperty('status');
  });

  it('takes a REST body with its book_id, and names an unknown field', () => {
    const document = only('{"book_id": "b-1", "customer_namespace": "customer-acme"}', 'i.json');
    expect(createInstanceRequest(document)).toEqual({ bookId: 'b-1', body: { customer_namespace: 'customer-acme' } });
    const typo = only('{"customer_namespaces": "x"}', 'i.json');
    expect(() => createInstanceRequest(typo)).toThrow('i.json: customer_namespaces: not a field of an instance');
    const noRef = only('apiVersion: bdk.voyager.io/v1\nkind: BookInstanceDefinition\nspec: {customer: {namespace: a}}\n', 'i.yaml');
    expect(() => createInstanceRequest(noRef)).toThrow('i.yaml: spec.bookRef.name: required');
  });

  it('fills credential values from --credential, adding names the file does not list', () => {
    const values = parseCredentialValue('slack_bot_token=xoxb=1', parseCredentialValue('extra=v'));
    const body = withCredentialValues({ credentials: [{ name: 'zendesk_api_key', source: 'external' }, { name: 'slack_bot_token', source: 'external' }] }, values);
    expect(body['credentials']).toEqual([
      { name: 'zendesk_api_key', source: 'external' },
      { name: 'slack_bot_token', source: 'external', value: 'xoxb=1' },
      { name: 'extra', value: 'v' },
    ]);
    expect(() => parseCredentialValue('=secret-value')).toThrow('expected NAME=VALUE');
    expect(() => parseCredentialValue('=secret-value')).not.toThrow('secret-value');
  });
});

describe('parseResourceText', () => {
  it('reads every document of a multi-document file, naming each in errors', () => {
    const documents = parseResourceText('name: a\n---\nname: b\n', 'books.yaml');
    expect(documents.map((document) => [document.source, document.value['name']])).toEqual([
      ['books.yaml (document 1)', 'a'],
      ['books.yaml (document 2)', 'b'],
    ]);
    expect(() => parseResourceText('- a\n- b\n', 'list.yaml')).toThrow('list.yaml: expected an object, got a list');
    expect(() => parseResourceText('{"name": ', 'bad.json')).toThrow('bad.json: not YAML or JSON');
    expect(() => parseResourceText('', 'empty.yaml')).toThrow('empty.yaml: holds no document');
  });
});
