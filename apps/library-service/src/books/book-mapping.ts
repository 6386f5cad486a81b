// Between the API's book messages (bdk.v1.Book, CreateBookRequest) and the BookDefinition custom resource. The
// CR stores only what was given: empty strings, empty lists and false flags are left out, so `kubectl get -o yaml`
// reads like the spec's example and the CRD's defaults stay in charge.
import { create, type JsonObject } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  BookSchema,
  type Book,
  type CreateBookRequest,
  type Integration,
  type Prompt,
  type Runtime,
  type SchemaField,
} from '@bdk/proto';
import { bookIdOf, type BookDefinition, type BookDefinitionSpec } from '@bdk/k8s';

type CrSchemaField = NonNullable<NonNullable<BookDefinitionSpec['schema']>['inputs']>[number];
type CrIntegration = NonNullable<BookDefinitionSpec['integrations']>[number];
type CrPrompt = NonNullable<BookDefinitionSpec['prompts']>[number];
type FieldType = NonNullable<CrSchemaField['type']>;
type IntegrationType = NonNullable<CrIntegration['type']>;

/** Keeps only the entries whose value is set: not undefined, '', false or an empty list or object. */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(
    Object.entries(value).filter(([, v]) => {
      if (v === undefined || v === '' || v === false) return false;
      if (Array.isArray(v)) return v.length > 0;
      if (typeof v === 'object' && v !== null) return Object.keys(v).length > 0;
      return true;
    }),
  ) as T;
}

function schemaFieldToCr(field: SchemaField): CrSchemaField {
  return compact({
    name: field.name,
    type: (field.type || undefined) as FieldType | undefined,
    required: field.required,
    enum: field.enum,
    description: field.description,
    schema: { ...field.schema },
  });
}

type CrScheme = NonNullable<NonNullable<CrIntegration['config']>['scheme']>;

function integrationToCr(integration: Integration): CrIntegration {
  const config =
    integration.config &&
    compact({
      endpoint: integration.config.endpoint,
      scopes: integration.config.scopes,
      source: integration.config.source,
      scheme: integration.config.scheme as CrScheme,
      payload_schema: integration.config.payloadSchema,
      input_mapping: { ...integration.config.inputMapping },
    });
  return compact({ name: integration.name, type: integration.type as IntegrationType, config });
}

function runtimeToCr(runtime: Runtime): NonNullable<BookDefinitionSpec['runtime']> {
  return compact({ language: runtime.language, version: runtime.version, requirements: runtime.requirements });
}

function promptToCr(prompt: Prompt): CrPrompt {
  return compact({ name: prompt.name, version: prompt.version, template: prompt.template, model: prompt.model });
}

/** The BookDefinition spec for a validated CreateBook request and the prompts the Model Manager gave for it. */
export function bookSpecFromRequest(request: CreateBookRequest, prompts: Prompt[]): BookDefinitionSpec {
  const schema = request.schema && compact({ inputs: request.schema.inputs.map(schemaFieldToCr), outputs: request.schema.outputs.map(schemaFieldToCr) });
  return compact({
    name: request.name,
    version: request.version,
    description: request.description,
    schema,
    capabilities: request.capabilities,
    runtime: request.runtime && runtimeToCr(request.runtime),
    integrations: request.integrations.map(integrationToCr),
    prompts: prompts.map(promptToCr),
  });
}

/** The CR's nested schema is free-form (the spec's `{status: string}`); the API's is a string map. */
function nestedSchemaFromCr(schema: Record<string, unknown> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(schema ?? {}).map(([key, value]) => [key, typeof value === 'string' ? value : JSON.stringify(value)]));
}

function schemaFieldFromCr(field: CrSchemaField) {
  return {
    name: field.name,
    type: field.type ?? '',
    required: field.required ?? false,
    enum: field.enum ?? [],
    description: field.description ?? '',
    schema: nestedSchemaFromCr(field.schema),
  };
}

/**
 * A Kubernetes timestamp as read back: client-node's types say Date, but custom objects arrive as parsed JSON,
 * where it is an RFC 3339 string.
 */
export function timestampFromKube(value: Date | string | undefined) {
  return value === undefined ? undefined : timestampFromDate(new Date(value));
}

/**
 * The API's view of a stored BookDefinition: its id is the book-id label (its uid when applied without the API),
 * created_at its creationTimestamp.
 */
export function bookFromDefinition(definition: BookDefinition): Book {
  const spec = definition.spec;
  return create(BookSchema, {
    bookId: bookIdOf(definition),
    name: spec.name,
    version: spec.version,
    description: spec.description ?? '',
    schema: spec.schema && {
      inputs: (spec.schema.inputs ?? []).map(schemaFieldFromCr),
      outputs: (spec.schema.outputs ?? []).map(schemaFieldFromCr),
    },
    capabilities: spec.capabilities ?? [],
    runtime: spec.runtime && { language: spec.runtime.language, version: spec.runtime.version ?? '', requirements: spec.runtime.requirements ?? [] },
    integrations: (spec.integrations ?? []).map((integration) => ({
      name: integration.name,
      type: integration.type ?? '',
      config: integration.config && {
        endpoint: integration.config.endpoint ?? '',
        scopes: integration.config.scopes ?? [],
        source: integration.config.source ?? '',
        scheme: integration.config.scheme ?? '',
        payloadSchema: integration.config.payload_schema as JsonObject | undefined,
        inputMapping: integration.config.input_mapping ?? {},
      },
    })),
    prompts: (spec.prompts ?? []).map((prompt) => ({
      name: prompt.name,
      version: prompt.version ?? '',
      template: prompt.template ?? '',
      model: prompt.model ?? '',
    })),
    createdAt: timestampFromKube(definition.metadata.creationTimestamp),
    lifecycle: spec.lifecycle && { state: spec.lifecycle.state, message: spec.lifecycle.message ?? '' },
  });
}
