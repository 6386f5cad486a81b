// The contract itself: every RPC carries the spec's REST route, every field is snake_case, the spec's JSON
// bodies parse strictly into the messages (so no seed field is missing), and no read path can carry a
// credential value.
import { fromJson, getOption, type DescMessage, type DescService, type JsonValue } from '@bufbuild/protobuf';
import { describe, expect, it } from '@jest/globals';
import {
  BookControllerService,
  BookLibraryService,
  CreateBookInstanceRequestSchema,
  CreateBookInstanceResponseSchema,
  CreateBookRequestSchema,
  CreateBookResponseSchema,
  DeliverWebhookResponseSchema,
  WebhookService,
} from '../src/index.js';
import { http } from '../src/gen/google/api/annotations_pb.js';

// The public API. BookControllerService is internal: it has no REST route at all (tested below).
const services: DescService[] = [BookLibraryService, WebhookService];

function route(serviceName: string, method: string) {
  const service = services.find((s) => s.name === serviceName);
  const rpc = service?.methods.find((m) => m.name === method);
  if (!rpc) throw new Error(`${serviceName} has no ${method}`);
  const rule = getOption(rpc, http);
  const verb = rule.pattern.case;
  return { verb, path: rule.pattern.value, body: rule.body };
}

describe('REST routes', () => {
  it.each([
    ['BookLibraryService', 'CreateBook', 'post', '/api/v1/books', '*'],
    ['BookLibraryService', 'GetBook', 'get', '/api/v1/books/{book_id}', ''],
    ['BookLibraryService', 'ListBooks', 'get', '/api/v1/books', ''],
    ['BookLibraryService', 'DeleteBook', 'delete', '/api/v1/books/{book_id}', ''],
    ['BookLibraryService', 'CreateBookInstance', 'post', '/api/v1/books/{book_id}/instances', '*'],
    ['BookLibraryService', 'GetBookInstance', 'get', '/api/v1/books/{book_id}/instances/{instance_id}', ''],
    ['BookLibraryService', 'ListBookInstances', 'get', '/api/v1/books/{book_id}/instances', ''],
    ['BookLibraryService', 'DeleteBookInstance', 'delete', '/api/v1/books/{book_id}/instances/{instance_id}', ''],
    ['BookLibraryService', 'RotateInstanceCredentials', 'post', '/api/v1/books/{book_id}/instances/{instance_id}/credentials:rotate', '*'],
    ['BookLibraryService', 'RotateWebhookSecret', 'post', '/api/v1/books/{book_id}/instances/{instance_id}/webhooks/{source}:rotateSecret', '*'],
    ['WebhookService', 'DeliverWebhook', 'post', '/api/v1/webhooks/{source}', 'body'],
    ['WebhookService', 'ListDeliveries', 'get', '/api/v1/webhooks/deliveries', ''],
    ['WebhookService', 'ReplayDelivery', 'post', '/api/v1/webhooks/deliveries/{webhook_id}:replay', '*'],
  ])('%s.%s is %s %s', (service, method, verb, path, body) => {
    expect(route(service, method)).toEqual({ verb, path, body });
  });

  it('addresses a webhook to one instance on a second route, for senders configured with the instance URL', () => {
    const rpc = WebhookService.methods.find((m) => m.name === 'DeliverWebhook');
    const [binding] = rpc ? getOption(rpc, http).additionalBindings : [];
    expect({ verb: binding?.pattern.case, path: binding?.pattern.value, body: binding?.body }).toEqual({
      verb: 'post',
      path: '/api/v1/webhooks/{source}/instances/{instance_id}',
      body: 'body',
    });
  });

  it('gives the internal BookControllerService no REST route, so no gateway or sidecar can reach it', () => {
    const routed = BookControllerService.methods.filter((m) => getOption(m, http).pattern.case !== undefined).map((m) => m.name);
    expect(routed).toEqual([]);
  });

  it('leaves no RPC without a route', () => {
    const missing = services.flatMap((s) => s.methods.filter((m) => getOption(m, http).pattern.case === undefined).map((m) => m.name));
    expect(missing).toEqual([]);
  });

  it('takes the webhook body as google.api.HttpBody, so its bytes reach the service unchanged', () => {
    const input = WebhookService.methods.find((m) => m.name === 'DeliverWebhook')?.input;
    expect(input?.fields.find((f) => f.name === 'body')?.message?.typeName).toBe('google.api.HttpBody');
  });
});

function messagesOf(roots: DescMessage[]): DescMessage[] {
  const seen = new Map<string, DescMessage>();
  const visit = (message: DescMessage) => {
    if (seen.has(message.typeName) || !message.typeName.startsWith('bdk.')) return;
    seen.set(message.typeName, message);
    for (const field of message.fields) {
      if (field.fieldKind === 'message' || field.fieldKind === 'list' || field.fieldKind === 'map') {
        if (field.message) visit(field.message);
      }
    }
  };
  roots.forEach(visit);
  return [...seen.values()];
}

describe('messages', () => {
  const all = messagesOf(services.flatMap((s) => s.methods.flatMap((m) => [m.input, m.output])));

  it('name every field in snake_case, as the spec does', () => {
    const bad = all.flatMap((m) => m.fields.filter((f) => !/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/.test(f.name)).map((f) => `${m.typeName}.${f.name}`));
    expect(bad).toEqual([]);
  });

  it('never carry a credential value in a response', () => {
    const responses = messagesOf(services.flatMap((s) => s.methods.map((m) => m.output)));
    const leaks = responses.flatMap((m) => m.fields.filter((f) => f.name === 'value').map((f) => `${m.typeName}.${f.name}`));
    expect(leaks).toEqual([]);
    expect(responses.map((m) => m.typeName)).toContain('bdk.v1.Credential');
  });
});

describe("the spec's JSON bodies", () => {
  const strict = { ignoreUnknownFields: false };

  it('POST /api/v1/books request and response', () => {
    const request = fromJson(
      CreateBookRequestSchema,
      {
        name: 'customer-support',
        version: '1.0.0',
        description: 'Customer support automation',
        schema: {
          inputs: [{ name: 'customer_id', type: 'string', required: true }],
          outputs: [{ name: 'resolution', type: 'object' }],
        },
        capabilities: ['ticket_creation', 'customer_lookup'],
        runtime: { language: 'python', version: '3.11' },
      },
      strict,
    );
    expect(request.schema?.inputs[0]?.required).toBe(true);
    const response = fromJson(CreateBookResponseSchema, { book_id: 'uuid', name: 'customer-support', version: '1.0.0', created_at: '2024-01-01T00:00:00Z' }, strict);
    expect(response.createdAt?.seconds).toBe(BigInt(Date.parse('2024-01-01T00:00:00Z') / 1000));
  });

  it('POST /api/v1/books/{book_id}/instances request and response', () => {
    const request = fromJson(
      CreateBookInstanceRequestSchema,
      {
        customer_namespace: 'customer-acme',
        organization_id: 'org-uuid-123',
        deployment: { type: 'primary', replicas: 2 },
        networking: { tailscale: { enabled: true, tailnet: 'acme-corp' } },
        credentials: [{ name: 'zendesk_api_key', value: 'encrypted_api_key' }],
      } satisfies JsonValue,
      strict,
    );
    expect(request.credentials[0]?.value).toBe('encrypted_api_key');
    const response = fromJson(
      CreateBookInstanceResponseSchema,
      { instance_id: 'uuid', book_id: 'uuid', customer_namespace: 'customer-acme', status: 'Pending', created_at: '2024-01-01T00:00:00Z' },
      strict,
    );
    expect(response.status).toBe('Pending');
  });

  it('POST /api/v1/webhooks/{source} response', () => {
    const response = fromJson(
      DeliverWebhookResponseSchema,
      { webhook_id: 'uuid', processed: true, routed_to: 'customer-acme/customer-support-book', processing_time_ms: 150 },
      strict,
    );
    expect(response.processingTimeMs).toBe(150);
  });
});
