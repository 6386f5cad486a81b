// The OpenAPI document (docs/api/openapi.json): generated from proto/ by tools/generate-openapi.sh, current (a
// stale copy, here or in the gateway, fails the check), true to what the gateway answers (snake_case, 201 on
// creation, google.rpc.Status errors, bearer auth, the public routes only), and served by the real Envoy gateway at
// GET /api/v1/openapi.json without a token.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort, startEnvoy, workspaceRoot, type RunningEnvoy } from '@bdk/testing';
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const script = path.join(workspaceRoot, 'tools/generate-openapi.sh');

interface Operation {
  operationId: string;
  security?: unknown[];
  responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }>;
}
interface OpenApiDocument {
  openapi: string;
  security: Record<string, unknown[]>[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }>; securitySchemes: Record<string, unknown> };
}

let document: OpenApiDocument;
let envoy: RunningEnvoy | undefined;
const tempDirs: string[] = [];

function operations(): Operation[] {
  return Object.values(document.paths).flatMap((item) => Object.values(item));
}

function operation(id: string): Operation {
  const found = operations().find((candidate) => candidate.operationId === id);
  if (!found) throw new Error(`no operation ${id}`);
  return found;
}

async function check(env: NodeJS.ProcessEnv = {}): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run('bash', [script, '--check'], { cwd: workspaceRoot, env: { ...process.env, ...env } });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

beforeAll(async () => {
  document = JSON.parse(await readFile(path.join(workspaceRoot, 'docs/api/openapi.json'), 'utf8')) as OpenApiDocument;
});

afterAll(async () => {
  await envoy?.stop();
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('docs/api/openapi.json', () => {
  it('is what tools/generate-openapi.sh makes from proto/, here and in the gateway', async () => {
    const result = await check();
    expect(result.output).toContain('are current');
    expect(result.code).toBe(0);
  }, 60_000);

  it('is reported stale when a copy differs from what proto/ gives', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'bdk-openapi-'));
    tempDirs.push(dir);
    const file = path.join(dir, 'openapi.json');
    const gateway = path.join(dir, 'gateway.yaml');
    await copyFile(path.join(workspaceRoot, 'envoy/gateway.yaml'), gateway);
    await writeFile(file, JSON.stringify({ ...document, info: { title: 'edited by hand', version: 'v1' } }, null, 2));
    const stale = await check({ BDK_OPENAPI_FILE: file, BDK_OPENAPI_GATEWAY_FILE: gateway });
    expect(stale.code).not.toBe(0);
    expect(stale.output).toContain(file);
    expect(stale.output).not.toContain(gateway);
  }, 60_000);

  it('has the public routes only, with unique operation ids', () => {
    const ids = operations().map((candidate) => candidate.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.filter((id) => !/^(BookLibraryService|WebhookService|Gateway)_/.test(id))).toEqual([]);
    expect(ids).toEqual(expect.arrayContaining(['BookLibraryService_CreateBook', 'WebhookService_DeliverWebhook', 'Gateway_GetOpenApiDocument']));
    expect(JSON.stringify(document)).not.toMatch(/DispatchTrigger|StoreInstanceSecrets|ListWebhookSubscribers/);
  });

  it('answers 201 on creation and 200 on every other success', () => {
    for (const id of ['BookLibraryService_CreateBook', 'BookLibraryService_CreateBookInstance']) {
      expect(Object.keys(operation(id).responses)).toContain('201');
      expect(Object.keys(operation(id).responses)).not.toContain('200');
    }
    expect(Object.keys(operation('BookLibraryService_GetBook').responses)).toContain('200');
  });

  it('describes every error as google.rpc.Status JSON', () => {
    const status = document.components.schemas['Status'];
    expect(Object.keys(status?.properties ?? {})).toEqual(['code', 'message', 'details']);
    expect(status?.required).toEqual(['code', 'message']);
    for (const candidate of operations().filter((op) => op.operationId !== 'Gateway_GetOpenApiDocument')) {
      for (const code of ['400', '401', '404', '503', 'default']) {
        expect(candidate.responses[code]?.content?.['application/json']?.schema.$ref).toBe('#/components/schemas/Status');
      }
    }
  });

  it('asks for a bearer JWT everywhere but webhook intake and this document', () => {
    expect(document.components.securitySchemes).toEqual({ bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } });
    expect(document.security).toEqual([{ bearer: [] }]);
    const open = operations().filter((candidate) => candidate.security !== undefined);
    expect(open.map((candidate) => [candidate.operationId, candidate.security])).toEqual(
      expect.arrayContaining([
        ['WebhookService_DeliverWebhook', []],
        ['WebhookService_DeliverWebhookToInstance', []],
        ['Gateway_GetOpenApiDocument', []],
      ]),
    );
    expect(open).toHaveLength(3);
  });

  it('names every field in snake_case, as the transcoder prints them', () => {
    const names = Object.values(document.components.schemas).flatMap((schema) => Object.keys(schema.properties ?? {}));
    expect(names).toEqual(expect.arrayContaining(['book_id', 'created_at', 'customer_namespace', 'routed_to']));
    expect(names.filter((name) => name !== '@type' && !/^[a-z][a-z0-9_]*$/.test(name))).toEqual([]);
  });
});

describe('GET /api/v1/openapi.json through the real gateway', () => {
  beforeAll(async () => {
    envoy = await startEnvoy({ config: 'envoy/gateway.yaml', upstreams: { library_service: await freePort(), webhook_router: await freePort() } });
  }, 60_000);

  it('answers the document, as JSON, without a token', async () => {
    const response = await fetch(`${envoy?.url}/api/v1/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual(document);
  });

  it('answers nothing else there', async () => {
    const response = await fetch(`${envoy?.url}/api/v1/openapi.json`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: 5 });
  });
});
