// The REST API fuzzed from its own OpenAPI document: schemathesis (tools/install-toolchain.sh) loads
// GET /api/v1/openapi.json from the gateway of the built local stack (`npm start`: the real Envoy gateway and
// sidecars, the three apps, a real kube-apiserver) and sends generated requests, valid and invalid, with a platform
// admin's bearer token. No answer may be a 5xx or contradict the document (status, content type, body schema).
// Before it, the errors the fuzzer first found, and the field errors, are checked through the same stack: a JSON
// object where the API has a string, and a field the API does not have, are 400 naming the field; the
// library-service's own validation errors carry google.rpc.BadRequest and ErrorInfo in the REST body; a real book
// and instance (the spec's examples), created first, are answered as the document says (the fuzzer's random ids
// never reach them, but its list calls do).
// Needs `nx run-many -t build -p library-service,book-controller,webhook-router,tooling`.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { seedCreateBookRequest, seedCreateInstanceRequest, startLocalStack, workspaceRoot, type LocalStack } from '@bdk/testing';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const toolsBin = process.env['BDK_TOOLS_DIR'] ? path.join(process.env['BDK_TOOLS_DIR'], 'bin') : path.join(workspaceRoot, '.tools', 'bin');
const schemathesis = path.join(toolsBin, 'schemathesis');
const tokenCommand = path.join(workspaceRoot, 'dist/tools/token.js');
const builtApps = ['library-service', 'book-controller', 'webhook-router'].map((app) => path.join(workspaceRoot, 'dist/apps', app, 'main.js'));
/** Generated requests per operation and phase: enough to find the 500s above in a few minutes on 2 cores. */
const examplesPerOperation = process.env['BDK_FUZZ_EXAMPLES'] ?? '10';
/** A fixed seed by default, so that a failure in CI is replayed as it was; BDK_FUZZ_SEED explores others. */
const seed = process.env['BDK_FUZZ_SEED'] ?? '20261127';

let stack: LocalStack | undefined;
let admin = '';
let workDir = '';

interface StatusBody {
  code: number;
  message: string;
  details?: { '@type': string; field_violations?: { field: string; description: string }[]; reason?: string; domain?: string; metadata?: Record<string, string> }[];
}

async function post(pathname: string, body: string): Promise<{ status: number; json: StatusBody }> {
  const response = await fetch(`${stack?.gatewayUrl}${pathname}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body,
  });
  return { status: response.status, json: (await response.json()) as StatusBody };
}

/** The field violations and the ErrorInfo of an error body. */
function fieldDetails(body: StatusBody) {
  const details = body.details ?? [];
  return {
    violations: details
      .filter((detail) => detail['@type'] === 'type.googleapis.com/google.rpc.BadRequest')
      .flatMap((detail) => detail.field_violations ?? [])
      .map(({ field, description }) => ({ field, description })),
    info: details.filter((detail) => detail['@type'] === 'type.googleapis.com/google.rpc.ErrorInfo').map(({ reason, domain, metadata }) => ({ reason, domain, metadata })),
  };
}

beforeAll(async () => {
  for (const file of [schemathesis, tokenCommand, ...builtApps]) {
    if (!existsSync(file)) throw new Error(`${file} is missing: run tools/install-toolchain.sh and \`npx nx run-many -t build -p library-service,book-controller,webhook-router,tooling\``);
  }
  workDir = await mkdtemp(path.join(os.tmpdir(), 'bdk-fuzz-'));
  stack = await startLocalStack({ env: { ...process.env, KUBECONFIG: '' } });
  admin = execFileSync(process.execPath, [tokenCommand, '--admin', '--org', 'org-fuzz'], {
    env: { ...process.env, BDK_LOCAL_STACK_DIR: stack.stateDir },
    encoding: 'utf8',
  }).trim();
}, 240_000);

afterAll(async () => {
  await stack?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
}, 120_000);

describe('REST field errors through the local stack', () => {
  it('a JSON object where the API has a string is 400 naming the field, not a 500', async () => {
    const body = { name: 'nested', version: '1.0.0', schema: { outputs: [{ name: 'resolution', type: 'object', schema: { status: { type: 'string' } } }] } };
    const { status, json } = await post('/api/v1/books', JSON.stringify(body));
    expect(status).toBe(400);
    expect(json.code).toBe(3);
    expect(json.message).toMatch(/^schema\.outputs\[0\]\.schema\.status: /);
    expect(fieldDetails(json)).toEqual({
      violations: [{ field: 'schema.outputs[0].schema.status', description: expect.stringContaining('not a JSON object') }],
      info: [{ reason: 'INVALID_FIELD', domain: 'bdk.voyager.io', metadata: { field: 'schema.outputs[0].schema.status' } }],
    });
  });

  it('a field the API does not have is 400 naming it, not silently dropped', async () => {
    const body = { customer_namespace: 'customer-fuzz', deployment: { type: 'primary', replica: 2 } };
    const { status, json } = await post('/api/v1/books/3f0e7a52-7d0c-4bde-9a3c-1f1b2d8c9e01/instances', JSON.stringify(body));
    expect(status).toBe(400);
    expect(json.message).toBe('deployment.replica: is not a field of Deployment');
    expect(fieldDetails(json)).toEqual({
      violations: [{ field: 'deployment.replica', description: 'is not a field of Deployment' }],
      info: [{ reason: 'UNKNOWN_FIELD', domain: 'bdk.voyager.io', metadata: { field: 'deployment.replica' } }],
    });
  });

  it("a body the API takes still reaches the service: the library-service's own refusal carries its details", async () => {
    const { status, json } = await post('/api/v1/books', JSON.stringify({ name: 'Not_A_Label', version: '1.0.0', schema: { outputs: [{ name: 'r', type: 'object', schema: { s: 'string' } }] } }));
    expect(status).toBe(400);
    expect(json.message).toMatch(/^name: must be a DNS label/);
    expect(fieldDetails(json)).toEqual({
      violations: [{ field: 'name', description: expect.stringMatching(/^must be a DNS label/) }],
      info: [{ reason: 'INVALID_FIELD', domain: 'bdk.voyager.io', metadata: { field: 'name' } }],
    });
  });

  it('serves the OpenAPI document without a token', async () => {
    const response = await fetch(`${stack?.gatewayUrl}/api/v1/openapi.json`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(JSON.parse(await readFile(path.join(workspaceRoot, 'docs/api/openapi.json'), 'utf8')));
  });
});

interface OpenApiDocument {
  paths: Record<string, Record<string, { responses: Record<string, { content?: { 'application/json'?: { schema: unknown } } }> }>>;
  components: { schemas: Record<string, unknown> };
}

describe('real objects as the OpenAPI document says', () => {
  it('answers the created book and instance, one by one and in lists, in the shapes the document gives', async () => {
    const document = JSON.parse(await readFile(path.join(workspaceRoot, 'docs/api/openapi.json'), 'utf8')) as OpenApiDocument;
    const ajv = new Ajv({ strict: false, allErrors: true, logger: false });
    addFormats.default(ajv);
    // OpenAPI 3.0 schemas are JSON Schema enough for this: every $ref points into components.schemas.
    ajv.addSchema({ $id: 'openapi', components: document.components });
    const conforms = (route: string, method: string, status: string, body: unknown) => {
      const schema = document.paths[route]?.[method]?.responses[status]?.content?.['application/json']?.schema;
      if (schema === undefined) throw new Error(`the document has no ${status} answer for ${method} ${route}`);
      const validate = ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"openapi#/components/')) as object);
      return validate(body) ? [] : (validate.errors ?? []).map((error) => `${method} ${route} ${status}: ${error.instancePath} ${error.message ?? ''}`);
    };
    const call = async (method: string, pathname: string, body?: unknown) => {
      const response = await fetch(`${stack?.gatewayUrl}${pathname}`, {
        method,
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: String(response.status), json: (await response.json()) as Record<string, unknown> };
    };

    const book = await call('POST', '/api/v1/books', seedCreateBookRequest);
    expect(book.status).toBe('201');
    const bookId = String(book.json['book_id']);
    const instance = await call('POST', `/api/v1/books/${bookId}/instances`, { ...seedCreateInstanceRequest, customer_namespace: 'customer-fuzz', organization_id: 'org-fuzz' });
    expect(instance.status).toBe('201');
    const instanceId = String(instance.json['instance_id']);
    const answers: [string, string, { status: string; json: unknown }][] = [
      ['/api/v1/books', 'post', book],
      ['/api/v1/books/{book_id}/instances', 'post', instance],
      ['/api/v1/books/{book_id}', 'get', await call('GET', `/api/v1/books/${bookId}`)],
      ['/api/v1/books', 'get', await call('GET', '/api/v1/books')],
      ['/api/v1/books/{book_id}/instances/{instance_id}', 'get', await call('GET', `/api/v1/books/${bookId}/instances/${instanceId}`)],
      ['/api/v1/books/{book_id}/instances', 'get', await call('GET', `/api/v1/books/${bookId}/instances`)],
      ['/api/v1/webhooks/deliveries', 'get', await call('GET', '/api/v1/webhooks/deliveries')],
    ];
    expect(answers.map(([route, method, answer]) => `${method} ${route} ${answer.status}`)).toEqual(
      answers.map(([route, method]) => `${method} ${route} ${method === 'post' ? '201' : '200'}`),
    );
    expect(answers.flatMap(([route, method, answer]) => conforms(route, method, answer.status, answer.json))).toEqual([]);
  });
});

describe('schemathesis against the local stack', () => {
  it('finds no 5xx and no answer that contradicts the OpenAPI document', async () => {
    const args = [
      'run',
      `${stack?.gatewayUrl}/api/v1/openapi.json`,
      '--header',
      `Authorization: Bearer ${admin}`,
      '--checks',
      'not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance',
      '--phases',
      'examples,coverage,fuzzing',
      '--max-examples',
      examplesPerOperation,
      '--seed',
      seed,
      '--workers',
      '2',
      '--generation-database',
      'none',
      '--no-color',
      '--output-sanitize',
      'true',
    ];
    const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
      execFile(schemathesis, args, { cwd: workDir, maxBuffer: 64 * 1024 * 1024, timeout: 540_000 }, (error, stdout, stderr) => {
        const exit = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code: exit, output: `${stdout}${stderr}` });
      });
    });
    // Its counts, whatever the outcome: how many cases ran, and what failed.
    const summary = output.slice(output.lastIndexOf('SUMMARY'));
    console.log(`schemathesis (seed ${seed}, ${examplesPerOperation} examples per operation):\n${summary}`);
    if (code !== 0) console.log(output.slice(output.indexOf('FAILURES')));
    expect(output).toMatch(/\d+ generated/);
    expect(output).not.toMatch(/Server error|Undocumented|Response violates schema|Undocumented Content-Type/);
    expect(code).toBe(0);
  }, 600_000);
});
