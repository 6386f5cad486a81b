// The sidecar's request check (bdk.request_body_check in envoy/sidecar.yaml, its fields generated from the OpenAPI
// document) in the real Envoy: a JSON body with a field the API does not have, or an object or list where the API
// has a single value, is refused 400 naming the field, with google.rpc.BadRequest and ErrorInfo details; a body the
// API takes goes on to the transcoder (here to an app that is not there: 503), and so does a body that is not JSON
// (the transcoder's own 400).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort, startEnvoy, type RunningEnvoy } from '@bdk/testing';

let envoy: RunningEnvoy | undefined;
const bookId = '3f0e7a52-7d0c-4bde-9a3c-1f1b2d8c9e01';

interface StatusBody {
  code: number;
  message: string;
  details?: Record<string, unknown>[];
}

async function send(method: string, pathname: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; json: StatusBody }> {
  const response = await fetch(`${envoy?.url}${pathname}`, { method, headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: response.status, json: (await response.json()) as StatusBody };
}

function refusal(field: string, description: string, reason: string): StatusBody {
  return {
    code: 3,
    message: `${field}: ${description}`,
    details: [
      { '@type': 'type.googleapis.com/google.rpc.BadRequest', field_violations: [{ field, description }] },
      { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain: 'bdk.voyager.io', metadata: { field } },
    ],
  };
}

beforeAll(async () => {
  envoy = await startEnvoy({ config: 'envoy/sidecar.yaml', upstreams: { app_grpc: await freePort() } });
}, 60_000);

afterAll(async () => {
  await envoy?.stop();
});

describe('the sidecar request check', () => {
  it.each([
    ['a misspelt field', 'POST', `/api/v1/books/${bookId}/instances`, { customer_namespace: 'customer-acme', deployment: { replica: 2 } }, refusal('deployment.replica', 'is not a field of Deployment', 'UNKNOWN_FIELD')],
    ['a field at the top', 'POST', '/api/v1/books', { name: 'b', version: '1.0.0', owner: 'me' }, refusal('owner', 'is not a field of CreateBookRequest', 'UNKNOWN_FIELD')],
    [
      'an object in a map of strings',
      'POST',
      '/api/v1/books',
      { name: 'b', version: '1.0.0', schema: { outputs: [{ name: 'r', type: 'object', schema: { status: { type: 'string' } } }] } },
      refusal('schema.outputs[0].schema.status', 'must be a single value (a string, number or boolean), not a JSON object', 'INVALID_FIELD'),
    ],
    ['a string where the API has a list', 'POST', '/api/v1/books', { name: 'b', version: '1.0.0', capabilities: 'ticket_creation' }, refusal('capabilities', 'must be a JSON array', 'INVALID_FIELD')],
    ['a list where the API has an object', 'PATCH', `/api/v1/books/${bookId}/instances/${bookId}?update_mask=deployment`, { deployment: [] }, refusal('deployment', 'must be a JSON object', 'INVALID_FIELD')],
    ['an unknown field of a delivery replay', 'POST', '/api/v1/webhooks/deliveries:replay', { sources: ['zendesk'] }, refusal('sources', 'is not a field of ReplayDeliveriesRequest', 'UNKNOWN_FIELD')],
  ])('refuses %s with 400 naming the field', async (_case, method, pathname, body, expected) => {
    const { status, json } = await send(method, pathname, JSON.stringify(body));
    expect(status).toBe(400);
    expect(json).toEqual(expected);
  });

  it.each([
    ['the spec-shaped book', '/api/v1/books', { name: 'b', version: '1.0.0', schema: { outputs: [{ name: 'r', type: 'object', schema: { status: 'string' } }] } }],
    ['lowerCamel names, which the transcoder also reads', `/api/v1/books/${bookId}/instances`, { customerNamespace: 'customer-acme', deployment: { replicas: 2 } }],
    ['free-form settings and payload schemas', '/api/v1/books', { name: 'b', version: '1.0.0', integrations: [{ name: 'z', type: 'webhook', config: { payload_schema: { type: 'object', required: ['a'] } } }] }],
    ['nulls', '/api/v1/books', { name: 'b', version: '1.0.0', runtime: null }],
  ])('lets %s through to the app', async (_case, pathname, body) => {
    const { status, json } = await send('POST', pathname, JSON.stringify(body));
    // No app listens: the router's 503 shows the request went past the check and the transcoder.
    expect([status, json.code]).toEqual([503, 14]);
  });

  it('leaves a body that is not JSON to the transcoder', async () => {
    const { status, json } = await send('POST', '/api/v1/books', '{"name": ');
    expect(status).toBe(400);
    expect(json.code).toBe(3);
    expect(json.details).toBeUndefined();
  });

  it("ignores a client's own x-bdk-field-violation header", async () => {
    const { status, json } = await send('POST', '/api/v1/books', '{"name": ', { 'x-bdk-field-violation': 'forged' });
    expect(status).toBe(400);
    expect(JSON.stringify(json)).not.toContain('forged');
  });

  it('does not look at webhook bodies, which are the sender\u2019s own', async () => {
    const { status } = await send('POST', '/api/v1/webhooks/zendesk', JSON.stringify({ anything: { goes: [1] } }));
    expect(status).toBe(503);
  });
});
