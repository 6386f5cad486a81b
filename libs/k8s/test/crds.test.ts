// BDK's CRDs against the real kube-apiserver: the spec's examples are accepted, invalid objects are rejected
// with the field named, and the status subresource, printer columns and short names are served.
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { kubeGet, startKubeEnv, workspaceRoot, type KubeEnv } from '@bdk/testing';
import { bookDefinitionResource, bookInstanceDefinitionResource, type BookDefinition, type BookInstanceDefinition } from '../src/index.js';

const namespace = 'bdk';
let env: KubeEnv;
let objects: CustomObjectsApi;

async function example<T>(file: string): Promise<T> {
  return parse(await readFile(path.join(workspaceRoot, 'charts', 'bdk', 'examples', file), 'utf8')) as T;
}

async function rejection(promise: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await promise;
  } catch (error) {
    const { code, body } = error as { code: number; body: string };
    return { code, message: (JSON.parse(body) as { message: string }).message };
  }
  throw new Error('expected the apiserver to reject the object');
}

beforeAll(async () => {
  env = await startKubeEnv();
  objects = env.kubeConfig.makeApiClient(CustomObjectsApi);
  await env.kubeConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
}, 180_000);

afterAll(async () => {
  await env?.stop();
});

const instances = { ...bookInstanceDefinitionResource, namespace };
const books = { ...bookDefinitionResource, namespace };

describe('BookDefinition', () => {
  it("accepts the spec's example unchanged", async () => {
    const seed = await example<BookDefinition>('book-definition.yaml');
    const created = (await objects.createNamespacedCustomObject({ ...books, body: seed })) as BookDefinition;
    expect(created.spec).toEqual(seed.spec);
  });

  it('rejects a version that is not semver, naming the field', async () => {
    const seed = await example<BookDefinition>('book-definition.yaml');
    const body = { ...seed, metadata: { name: 'bad-version' }, spec: { ...seed.spec, version: 'latest' } };
    const { code, message } = await rejection(objects.createNamespacedCustomObject({ ...books, body }));
    expect(code).toBe(422);
    expect(message).toContain('spec.version');
  });
});

type BookSpec = BookDefinition['spec'];

/** One change of each spec property but lifecycle; a property missing here fails the first test below. */
const specChanges: Record<string, (spec: BookSpec) => BookSpec> = {
  name: (spec) => ({ ...spec, name: 'customer-care' }),
  version: (spec) => ({ ...spec, version: '1.0.1' }),
  description: (spec) => ({ ...spec, description: `${spec.description ?? ''}.` }),
  schema: (spec) => ({ ...spec, schema: { ...spec.schema, inputs: [...(spec.schema?.inputs ?? []), { name: 'priority', type: 'string' }] } }),
  capabilities: (spec) => ({ ...spec, capabilities: [...(spec.capabilities ?? []), 'refunds'] }),
  runtime: (spec) => ({ ...spec, runtime: { language: 'python', version: '3.12' } }),
  integrations: (spec) => ({ ...spec, integrations: [{ name: 'zendesk', type: 'webhook', config: { endpoint: '/webhooks/zendesk-v2' } }] }),
  prompts: (spec) => ({ ...spec, prompts: [{ name: 'triage', template: 'Classify again: {{subject}}' }] }),
};

const immutable = 'a published book version is immutable; publish a new version as a new BookDefinition';

describe('a published BookDefinition', () => {
  let seq = 0;

  /** The spec's example with a prompt (so every property is there to change), created under a new name. */
  async function published(): Promise<BookDefinition> {
    const seed = await example<BookDefinition>('book-definition.yaml');
    const body = { ...seed, metadata: { name: `published-${++seq}`, namespace }, spec: { ...seed.spec, prompts: [{ name: 'triage', template: 'Classify: {{subject}}' }] } };
    return (await objects.createNamespacedCustomObject({ ...books, body })) as BookDefinition;
  }

  const replace = (book: BookDefinition, spec: BookSpec) =>
    objects.replaceNamespacedCustomObject({ ...books, name: book.metadata.name ?? '', body: { ...book, spec } }) as Promise<BookDefinition>;

  it('has a change to try for every property of spec but lifecycle', async () => {
    const crd = parse(await readFile(path.join(workspaceRoot, 'charts/bdk/crds/bookdefinitions.bdk.voyager.io.yaml'), 'utf8')) as {
      spec: { versions: { schema: { openAPIV3Schema: { properties: { spec: { properties: Record<string, unknown> } } } } }[] };
    };
    const properties = Object.keys(crd.spec.versions[0]?.schema.openAPIV3Schema.properties.spec.properties ?? {}).filter((name) => name !== 'lifecycle');
    expect(Object.keys(specChanges).sort()).toEqual(properties.sort());
  });

  it.each(Object.keys(specChanges))('refuses a change of spec.%s, naming it and the fix', async (property) => {
    const book = await published();
    const change = specChanges[property] ?? ((spec: BookSpec) => spec);
    const { code, message } = await rejection(replace(book, change(book.spec)));
    expect(code).toBe(422);
    expect(message).toContain(`spec.${property}: Invalid value`);
    expect(message).toContain(immutable);
  });

  it.each(['description', 'schema', 'capabilities', 'runtime', 'integrations', 'prompts'])('refuses removing spec.%s', async (property) => {
    const book = await published();
    const { [property]: _removed, ...rest } = book.spec as Record<string, unknown>;
    const { code, message } = await rejection(replace(book, rest as BookSpec));
    expect(code).toBe(422);
    expect(message).toContain(immutable);
  });

  it('refuses adding a property it was published without', async () => {
    const seed = await example<BookDefinition>('book-definition.yaml');
    const book = (await objects.createNamespacedCustomObject({ ...books, body: { ...seed, metadata: { name: `published-${++seq}`, namespace } } })) as BookDefinition;
    const { code, message } = await rejection(replace(book, specChanges['prompts']?.(book.spec) ?? book.spec));
    expect(code).toBe(422);
    expect(message).toContain(immutable);
  });

  it('accepts a lifecycle (deprecated, withdrawn, back to none) and label and annotation changes', async () => {
    const book = await published();
    const deprecated = await replace(book, { ...book.spec, lifecycle: { state: 'deprecated', message: 'use 2.0.0' } });
    expect(deprecated.spec.lifecycle).toEqual({ state: 'deprecated', message: 'use 2.0.0' });
    const withdrawn = await replace(deprecated, { ...book.spec, lifecycle: { state: 'withdrawn' } });
    expect(withdrawn.spec.lifecycle).toEqual({ state: 'withdrawn' });
    const active = await replace(withdrawn, book.spec);
    expect(active.spec.lifecycle).toBeUndefined();
    const labelled = (await objects.replaceNamespacedCustomObject({
      ...books,
      name: book.metadata.name ?? '',
      body: { ...active, metadata: { ...active.metadata, labels: { 'bdk.voyager.io/book-id': book.metadata.uid ?? '' }, annotations: { note: 'x' } } },
    })) as BookDefinition;
    expect(labelled.spec).toEqual(book.spec);
  });

  it('shows the lifecycle as a printer column', async () => {
    const book = await published();
    await replace(book, { ...book.spec, lifecycle: { state: 'deprecated' } });
    const table = JSON.parse((await kubeGet(env.kubeConfig, `/apis/bdk.voyager.io/v1/namespaces/${namespace}/bookdefinitions`, 'application/json;as=Table;v=v1;g=meta.k8s.io')).body) as {
      columnDefinitions: { name: string }[];
      rows: { cells: unknown[] }[];
    };
    const column = table.columnDefinitions.findIndex((c) => c.name === 'Lifecycle');
    expect(table.rows.find((r) => r.cells[0] === book.metadata.name)?.cells[column]).toBe('deprecated');
  });

  it('refuses a lifecycle state it does not know', async () => {
    const book = await published();
    const { code, message } = await rejection(replace(book, { ...book.spec, lifecycle: { state: 'retired' as 'withdrawn' } }));
    expect(code).toBe(422);
    expect(message).toContain('spec.lifecycle.state');
  });
});

describe('BookInstanceDefinition', () => {
  async function seedInstance(name: string): Promise<BookInstanceDefinition> {
    const seed = await example<BookInstanceDefinition>('book-instance-definition.yaml');
    delete seed.status;
    return { ...seed, metadata: { name, namespace } };
  }

  it("accepts the spec's example and serves its status through the status subresource", async () => {
    const seed = await example<BookInstanceDefinition>('book-instance-definition.yaml');
    const created = (await objects.createNamespacedCustomObject({ ...instances, body: seed })) as BookInstanceDefinition;
    // The apiserver applies the CRD's defaults: the example says nothing of suspension.
    expect(created.spec).toEqual({ ...seed.spec, suspended: false });
    // The status subresource drops status on create; it is written through /status.
    expect(created.status).toBeUndefined();
    const withStatus = (await objects.replaceNamespacedCustomObjectStatus({
      ...instances,
      name: seed.metadata.name ?? '',
      body: { ...created, status: seed.status },
    })) as BookInstanceDefinition;
    expect(withStatus.status).toEqual(seed.status);
  });

  it.each([
    ['deployment type tertiary', (b: BookInstanceDefinition) => ({ ...b, spec: { ...b.spec, deployment: { type: 'tertiary' } } }), 'spec.deployment.type'],
    ['replicas -1', (b: BookInstanceDefinition) => ({ ...b, spec: { ...b.spec, deployment: { replicas: -1 } } }), 'spec.deployment.replicas'],
    ['no bookRef', (b: BookInstanceDefinition) => ({ ...b, spec: { ...b.spec, bookRef: undefined } }), 'spec.bookRef'],
    [
      'tailscale enabled without a tailnet',
      (b: BookInstanceDefinition) => ({ ...b, spec: { ...b.spec, networking: { tailscale: { enabled: true } } } }),
      'tailnet',
    ],
    [
      'a credential value',
      (b: BookInstanceDefinition) => ({ ...b, spec: { ...b.spec, credentials: [{ name: 'api_key', value: 'secret' }] } }),
      'value',
    ],
  ])('rejects %s, naming the field', async (_, change, field) => {
    const body = change(await seedInstance('invalid'));
    const { code, message } = await rejection(objects.createNamespacedCustomObject({ ...instances, body, fieldValidation: 'Strict' }));
    expect([400, 422]).toContain(code);
    expect(message).toContain(field);
  });

  it('defaults the deployment to one primary replica', async () => {
    const body = await seedInstance('defaults');
    delete body.spec.deployment;
    const created = (await objects.createNamespacedCustomObject({ ...instances, body })) as BookInstanceDefinition;
    expect(created.spec.deployment).toMatchObject({ type: 'primary', replicas: 1 });
  });

  it('serves printer columns and short names', async () => {
    const discovery = JSON.parse((await kubeGet(env.kubeConfig, '/apis/bdk.voyager.io/v1')).body) as {
      resources: { name: string; shortNames?: string[]; categories?: string[] }[];
    };
    const byName = Object.fromEntries(discovery.resources.map((r) => [r.name, r]));
    expect(byName['bookdefinitions']?.shortNames).toEqual(expect.arrayContaining(['bookdef']));
    expect(byName['bookinstancedefinitions']?.shortNames).toEqual(expect.arrayContaining(['bookinst']));
    expect(byName['externalbookdefinitions']?.shortNames).toEqual(expect.arrayContaining(['extbook']));
    expect(byName['bookinstancedefinitions']?.categories).toEqual(['bdk']);

    const tablePath = `/apis/bdk.voyager.io/v1/namespaces/${namespace}/bookinstancedefinitions`;
    const table = JSON.parse((await kubeGet(env.kubeConfig, tablePath, 'application/json;as=Table;v=v1;g=meta.k8s.io')).body) as {
      columnDefinitions: { name: string }[];
      rows: { cells: unknown[] }[];
    };
    const columns = table.columnDefinitions.map((c) => c.name);
    expect(columns).toEqual(expect.arrayContaining(['Book', 'Customer', 'Type', 'Ready', 'Phase']));
    const seedRow = table.rows.find((r) => r.cells[0] === 'acme-customer-support');
    expect(seedRow?.cells[columns.indexOf('Phase')]).toBe('Ready');
    expect(seedRow?.cells[columns.indexOf('Customer')]).toBe('customer-acme');
  });
});
