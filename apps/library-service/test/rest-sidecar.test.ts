// The spec's REST API end to end on this machine: HTTP client -> the real Envoy with envoy/sidecar.yaml -> the
// built library-service (with the built book-controller writing Secrets) -> a real kube-apiserver. Status codes
// and bodies are the spec's, errors are JSON, authentication errors included.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api } from '@kubernetes/client-node';
import { setUpPlatformIdentity, startApp, startEnvoy, startKubeEnv, type KubeEnv, type PlatformIdentity, type RunningApp, type RunningEnvoy } from '@bdk/testing';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { seedBook, seedInstance, startFakeModelManager, uuidPattern, type FakeModelManager } from './fixtures.js';

const rfc3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
let kube: KubeEnv;
let modelManager: FakeModelManager;
let app: RunningApp;
let envoy: RunningEnvoy;
let identity: PlatformIdentity;
/** An organisation member who is also a platform admin. */
let token = '';
const started: { stop(): Promise<unknown> }[] = [];

beforeAll(async () => {
  kube = await startKubeEnv();
  started.push(kube);
  await kube.kubeConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: 'bdk' } } });
  const identityDir = await mkdtemp(path.join(os.tmpdir(), 'bdk-identity-'));
  started.push({ stop: () => rm(identityDir, { recursive: true, force: true }) });
  identity = await setUpPlatformIdentity(kube.kubeConfig, { directory: identityDir, namespace: 'bdk' });
  token = await identity.token({ organizationId: 'org-uuid-123', admin: true });
  modelManager = await startFakeModelManager();
  started.push({ stop: () => modelManager.close() });
  const controller = await startApp('book-controller', { KUBECONFIG: kube.kubeconfigPath, BDK_NAMESPACE: 'bdk', ...identity.env.controller });
  started.push(controller);
  app = await startApp('library-service', {
    KUBECONFIG: kube.kubeconfigPath,
    BDK_NAMESPACE: 'bdk',
    BDK_MODEL_MANAGER_URL: modelManager.url,
    BDK_CONTROLLER_URL: `http://127.0.0.1:${controller.grpcPort}`,
    ...identity.env.library,
  });
  started.push(app);
  envoy = await startEnvoy({ config: 'envoy/sidecar.yaml', upstreams: { app_grpc: app.grpcPort } });
  started.push(envoy);
}, 180_000);

afterAll(async () => {
  for (const component of started.reverse()) await component.stop();
});

/** `bearer` '' sends no token. */
async function rest(method: string, path: string, body?: unknown, bearer: string = token) {
  const response = await fetch(`${envoy.url}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
    body: typeof body === 'string' || body === undefined ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, contentType: response.headers.get('content-type'), headers: response.headers, json: JSON.parse(text) as Record<string, unknown> };
}

describe('the spec REST API through the sidecar', () => {
  let bookId = '';

  it('POST /api/v1/books answers 201 with exactly book_id, name, version and created_at', async () => {
    const { status, headers, json } = await rest('POST', '/api/v1/books', seedBook);
    expect(status).toBe(201);
    expect(headers.get('x-bdk-http-status')).toBeNull();
    expect(Object.keys(json).sort()).toEqual(['book_id', 'created_at', 'name', 'version']);
    expect(json).toMatchObject({ name: 'customer-support', version: '1.0.0' });
    expect(json['book_id']).toMatch(uuidPattern);
    expect(json['created_at']).toMatch(rfc3339);
    bookId = String(json['book_id']);
  });

  it('GET /api/v1/books/{book_id} answers the stored book in snake_case', async () => {
    const { status, json } = await rest('GET', `/api/v1/books/${bookId}`);
    expect(status).toBe(200);
    expect(json['book']).toMatchObject({ book_id: bookId, name: 'customer-support', schema: { inputs: [{ name: 'customer_id', required: true }] } });
  });

  it('POST /api/v1/books/{book_id}/instances answers 201 with the spec fields and status Pending', async () => {
    const { status, json } = await rest('POST', `/api/v1/books/${bookId}/instances`, seedInstance);
    expect(status).toBe(201);
    // The spec's fields, then the instance's webhooks (the spec's book declares none).
    expect(Object.keys(json)).toEqual(['instance_id', 'book_id', 'customer_namespace', 'status', 'created_at', 'webhooks']);
    expect(json['webhooks']).toEqual([]);
    expect(json).toMatchObject({ book_id: bookId, customer_namespace: 'customer-acme', status: 'Pending' });
    expect(json['instance_id']).toMatch(uuidPattern);
    expect(json['created_at']).toMatch(rfc3339);

    const read = await rest('GET', `/api/v1/books/${bookId}/instances/${String(json['instance_id'])}`);
    expect(read.status).toBe(200);
    expect(JSON.stringify(read.json)).not.toContain('encrypted_api_key');
    expect(read.json['instance']).toMatchObject({ credentials: [{ name: 'zendesk_api_key', secret_ref: { key: 'zendesk_api_key' } }] });
  });

  it('answers errors as google.rpc.Status JSON with the HTTP status of the gRPC code', async () => {
    const cases: [string, string, unknown, number, number, RegExp][] = [
      ['POST', '/api/v1/books', { ...seedBook, name: 'Customer Support' }, 400, 3, /^name: must be a DNS label/],
      ['POST', '/api/v1/books', seedBook, 409, 6, /^book customer-support version 1\.0\.0 already exists/],
      ['GET', '/api/v1/books/00000000-0000-4000-8000-000000000000', undefined, 404, 5, /^book 00000000-0000-4000-8000-000000000000 not found$/],
      ['POST', '/api/v1/books/00000000-0000-4000-8000-000000000000/instances', seedInstance, 404, 5, /not found$/],
      ['POST', '/api/v1/books', { ...seedBook, name: 'flaky-book' }, 503, 14, /^Model Manager unavailable/],
      ['DELETE', `/api/v1/books/${bookId}`, undefined, 400, 9, /still has instances/],
      ['POST', '/api/v1/books', '{"name": "customer-support",', 400, 3, /./],
    ];
    for (const [method, path, body, httpStatus, code, message] of cases) {
      const { status, contentType, json } = await rest(method, path, body);
      expect({ method, path, status, contentType }).toEqual({ method, path, status: httpStatus, contentType: 'application/json' });
      expect(json['code']).toBe(code);
      expect(String(json['message'])).toMatch(message);
    }
  });

  it('answers 401 JSON without a valid token and 403 JSON without the permission', async () => {
    const anonymous = await rest('GET', '/api/v1/books', undefined, '');
    expect([anonymous.status, anonymous.contentType, anonymous.json['code']]).toEqual([401, 'application/json', 16]);
    // The standard challenge (RFC 6750) survives the transcoder.
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="bdk"');
    const garbage = await rest('GET', '/api/v1/books', undefined, 'not.a.jwt');
    expect([garbage.status, garbage.json['code']]).toEqual([401, 16]);
    const member = await identity.token({ organizationId: 'org-uuid-123' });
    const publish = await rest('POST', '/api/v1/books', { ...seedBook, name: 'members-book' }, member);
    expect([publish.status, publish.contentType, publish.json['code']]).toEqual([403, 'application/json', 7]);
    expect(String(publish.json['message'])).toContain('books:publish');
  });
});
