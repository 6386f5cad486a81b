// One schema, many faces: the proto messages (the API) and the CRD schemas (the stored resources) are
// written separately, in the names each world expects. This test holds them together: every field on one
// side has its counterpart, of a compatible type, on the other; the few renames are listed here.
import { ScalarType, type DescField, type DescMessage } from '@bufbuild/protobuf';
import { describe, expect, it } from '@jest/globals';
import { BookInstanceSchema, BookSchema, ConditionSchema, InstanceStatusSchema } from '@bdk/proto';
import { crdDirectory } from '@bdk/testing';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';

interface Schema {
  type?: string;
  format?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
}

/** proto field name → CRD property path, where Kubernetes naming (camelCase refs) or nesting differs. */
const renames: Record<string, string> = {
  book_ref: 'bookRef',
  secret_ref: 'secretRef',
  observed_generation: 'observedGeneration',
  customer_namespace: 'customer.namespace',
  organization_id: 'customer.organization_id',
};

/**
 * CRD properties that repeat a proto field under the name Kubernetes tools read (a condition's lastTransitionTime is
 * its last_transition, for `kubectl wait` and GitOps tools); the API shows the field once.
 */
const kubernetesAliases = new Set(['lastTransitionTime']);

function property(schema: Schema, dotted: string): Schema | undefined {
  return dotted.split('.').reduce<Schema | undefined>((s, key) => s?.properties?.[key], schema);
}

function scalarMatches(field: DescField, schema: Schema): boolean {
  if (field.fieldKind !== 'scalar' && field.fieldKind !== 'list') return false;
  const scalar = field.scalar;
  if (scalar === undefined) return false;
  if (scalar === ScalarType.STRING) return schema.type === 'string';
  if (scalar === ScalarType.BOOL) return schema.type === 'boolean';
  return schema.type === 'integer' || schema.type === 'number';
}

/** Differences between a proto message and a CRD object schema, as readable paths. */
function differences(message: DescMessage, schema: Schema, path: string, skip: string[] = []): string[] {
  const found: string[] = [];
  const mapped = new Set<string>();
  for (const field of message.fields) {
    if (skip.includes(field.name)) continue;
    const crdName = renames[field.name] ?? field.name;
    mapped.add(crdName.split('.')[0] ?? crdName);
    const target = property(schema, crdName);
    const where = `${path}.${field.name}`;
    if (!target) {
      found.push(`${where}: no CRD property ${crdName}`);
      continue;
    }
    const element = field.fieldKind === 'list' ? target.items : target;
    if (field.fieldKind === 'list' && target.type !== 'array') found.push(`${where}: CRD property is not an array`);
    if (!element) continue;
    if (field.fieldKind === 'map') {
      if (target.type !== 'object' || !(target.additionalProperties || target['x-kubernetes-preserve-unknown-fields'])) {
        found.push(`${where}: CRD property is not a map`);
      }
    } else if (field.message?.typeName === 'google.protobuf.Timestamp') {
      if (element.type !== 'string' || element.format !== 'date-time') found.push(`${where}: CRD property is not a date-time string`);
    } else if (field.message?.typeName === 'google.protobuf.Struct') {
      if (!element['x-kubernetes-preserve-unknown-fields']) found.push(`${where}: CRD property is not free-form`);
    } else if (field.message) {
      found.push(...differences(field.message, element, where));
    } else if (!scalarMatches(field, element)) {
      found.push(`${where}: CRD type ${element.type} does not fit the proto scalar`);
    }
  }
  for (const name of Object.keys(schema.properties ?? {})) {
    if (!mapped.has(name) && !skip.includes(name) && !kubernetesAliases.has(name)) found.push(`${path}: CRD property ${name} has no proto field`);
  }
  return found;
}

interface Crd {
  spec: { names: { kind: string }; versions: { schema: { openAPIV3Schema: Schema } }[] };
}

/** The CRD's schema as written (YAML names such as x-kubernetes-preserve-unknown-fields). */
async function crdSchema(kind: string): Promise<Schema> {
  const files = (await readdir(crdDirectory)).filter((f) => f.endsWith('.yaml'));
  const crds = await Promise.all(files.map(async (f) => parse(await readFile(path.join(crdDirectory, f), 'utf8')) as Crd));
  const schema = crds.find((c) => c.spec.names.kind === kind)?.spec.versions[0]?.schema.openAPIV3Schema;
  if (!schema) throw new Error(`no CRD for ${kind}`);
  return schema;
}

describe('proto messages and CRD schemas agree', () => {
  it('bdk.v1.Book and BookDefinition.spec', async () => {
    const spec = property(await crdSchema('BookDefinition'), 'spec') ?? {};
    // book_id and created_at are the resource's identity and metadata, not spec.
    expect(differences(BookSchema, spec, 'Book', ['book_id', 'created_at'])).toEqual([]);
  });

  it('bdk.v1.BookInstance and BookInstanceDefinition.spec', async () => {
    const spec = property(await crdSchema('BookInstanceDefinition'), 'spec') ?? {};
    // The etag is derived from the object's uid and generation, not stored in its spec.
    expect(differences(BookInstanceSchema, spec, 'BookInstance', ['instance_id', 'book_id', 'created_at', 'status', 'etag'])).toEqual([]);
  });

  it('bdk.v1.InstanceStatus and BookInstanceDefinition.status', async () => {
    const status = property(await crdSchema('BookInstanceDefinition'), 'status') ?? {};
    // observedGeneration (the resource's) and the ids are bookkeeping the API does not show.
    expect(differences(InstanceStatusSchema, status, 'InstanceStatus', ['observedGeneration', 'book_id', 'instance_id'])).toEqual([]);
  });

  it("ExternalBookDefinition's descriptor repeats BookDefinition's schema and integrations exactly", async () => {
    const book = property(await crdSchema('BookDefinition'), 'spec') ?? {};
    const descriptor = property(await crdSchema('ExternalBookDefinition'), 'spec.descriptor') ?? {};
    // Descriptions may be worded for their resource, and transition rules (oldSelf: a published book's
    // immutability) are its own; the structure and validation may not differ.
    const ownRule = (rule: { rule: string }) => rule.rule.includes('oldSelf');
    const structure = (schema: unknown): unknown =>
      JSON.parse(
        JSON.stringify(schema, (key, value: unknown) => {
          if (key === 'description') return undefined;
          if (key !== 'x-kubernetes-validations') return value;
          const shared = (value as { rule: string }[]).filter((rule) => !ownRule(rule));
          return shared.length > 0 ? shared : undefined;
        }),
      );
    for (const name of ['schema', 'integrations']) {
      expect(structure(property(descriptor, name))).toEqual(structure(property(book, name)));
    }
  });

  it('bdk.v1.Condition and the CRD condition', async () => {
    const condition = property(await crdSchema('BookInstanceDefinition'), 'status.conditions')?.items ?? {};
    expect(differences(ConditionSchema, condition, 'Condition')).toEqual([]);
  });
});
