#!/usr/bin/env bash
# Generates the REST API's OpenAPI document from proto/ (the google.api.http routes) with gnostic's
# protoc-gen-openapi (built by tools/install-toolchain.sh), then states what the generator cannot see but the
# gateway does (envoy/sidecar.yaml, envoy/gateway.yaml):
#   - only the services the sidecar's transcoder serves (the controller's internal API has no REST face);
#   - 201 Created for the creations (the services' x-bdk-http-status, turned into the status by the sidecar);
#   - every error as google.rpc.Status JSON ({code, message, details}), with the statuses the stack answers;
#   - bearer JWT authentication, except for webhook intake (the sender's signature) and this document;
#   - snake_case names (the transcoder's preserve_proto_field_names);
#   - GET /api/v1/openapi.json itself, which the gateway answers with this document.
# Writes docs/api/openapi.json, the copy the gateway serves (envoy/gateway.yaml, that route's inline body) and the
# fields the sidecar's request check knows (envoy/sidecar.yaml, bdk.request_body_check's `local api` line).
# `tools/generate-openapi.sh --check` writes nothing and fails when either is not what proto/ gives
# (BDK_OPENAPI_FILE, BDK_OPENAPI_GATEWAY_FILE and BDK_OPENAPI_SIDECAR_FILE name other copies to write or check).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
export PATH="$repo/node_modules/.bin:$PATH"

mode=${1:-write}
plugin=${BDK_TOOLS_DIR:-$repo/.tools}/bin/protoc-gen-openapi
if [[ ! -x "$plugin" ]]; then
  echo "generate-openapi: $plugin is missing: run tools/install-toolchain.sh" >&2
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# protoc-gen-openapi is a Go plugin and wants a Go package for every file; managed mode gives each one, unused.
cat >"$work/buf.gen.yaml" <<EOF
version: v2
managed:
  enabled: true
  override:
    - file_option: go_package_prefix
      value: bdk.local/openapi
plugins:
  - local: $plugin
    out: $work/out
    opt:
      - naming=proto
      - default_response=true
      - enum_type=string
      - title=BDK API
      - version=v1
EOF
buf generate --template "$work/buf.gen.yaml" --path proto/bdk/v1

node --input-type=module - "$work/out/openapi.yaml" "$mode" <<'JS'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parse } from 'yaml';

const [generatedFile, mode] = process.argv.slice(2);
const generated = parse(readFileSync(generatedFile, 'utf8'));
const sidecar = parse(readFileSync('envoy/sidecar.yaml', 'utf8'));

/** The transcoder's services in the sidecar: the only ones with a REST face. */
function transcodedServices(node) {
  if (Array.isArray(node)) return node.flatMap(transcodedServices);
  if (node === null || typeof node !== 'object') return [];
  if (typeof node['@type'] === 'string' && node['@type'].endsWith('.GrpcJsonTranscoder')) return node.services ?? [];
  return Object.values(node).flatMap(transcodedServices);
}
const publicServices = new Set(transcodedServices(sidecar));
if (publicServices.size === 0) throw new Error('envoy/sidecar.yaml names no transcoded service');

/** RPCs whose success the service answers 201 Created (answerCreated in the library-service). */
const created = new Set(['BookLibraryService_CreateBook', 'BookLibraryService_CreateBookInstance']);
/** Authenticated by the sender's signature over the body, not by a bearer token. */
const webhookIntake = new Set(['WebhookService_DeliverWebhook']);

const statusRef = { $ref: '#/components/schemas/Status' };
const error = (description, headers) => ({ description, ...(headers ? { headers } : {}), content: { 'application/json': { schema: statusRef } } });
const commonErrors = {
  400: error('INVALID_ARGUMENT or FAILED_PRECONDITION: the request names the field at fault (message, and google.rpc.BadRequest in details)'),
  401: error('UNAUTHENTICATED: no valid bearer token', { 'WWW-Authenticate': { schema: { type: 'string' } } }),
  403: error('PERMISSION_DENIED: the token lacks the permission'),
  404: error('NOT_FOUND: no such object in the caller\u2019s organisation, or no such route'),
  409: error('ALREADY_EXISTS, or ABORTED: a stale etag'),
  413: error('RESOURCE_EXHAUSTED: the body is too large'),
  429: error('RESOURCE_EXHAUSTED: too many requests', { 'Retry-After': { schema: { type: 'integer' } } }),
  503: error('UNAVAILABLE: try again later'),
  504: error('DEADLINE_EXCEEDED: the service did not answer in time'),
  default: error('Any other error, as google.rpc.Status'),
};

const paths = {};
for (const [route, item] of Object.entries(generated.paths)) {
  for (const [method, operation] of Object.entries(item)) {
    if (!operation.tags?.some((tag) => publicServices.has(`bdk.v1.${tag}`))) continue;
    const rpc = operation.operationId;
    const success = operation.responses['200'];
    const responses = { [created.has(rpc) ? '201' : '200']: { ...success, description: created.has(rpc) ? 'Created' : 'OK' }, ...commonErrors };
    const out = { ...operation, responses };
    // Book and instance ids are the UUIDs creation hands out (metadata.uid for GitOps-applied objects); the service
    // refuses anything else with 400.
    out.parameters = operation.parameters?.map((parameter) =>
      parameter.in === 'path' && (parameter.name === 'book_id' || parameter.name === 'instance_id')
        ? { ...parameter, schema: { ...parameter.schema, format: 'uuid' } }
        : parameter,
    );
    if (out.parameters === undefined) delete out.parameters;
    if (webhookIntake.has(rpc)) {
      // The body is the sender's, byte for byte, in its own content type; the instance-addressed route is the same
      // RPC and needs an operationId of its own.
      out.requestBody = { required: true, content: { '*/*': { schema: {} } } };
      out.security = [];
      out.responses = { ...responses, 422: error('INVALID_ARGUMENT: the payload is not what the books accept (google.rpc.BadRequest with JSON Pointers)') };
      if (route.includes('{instance_id}')) out.operationId = `${rpc}ToInstance`;
    }
    (paths[route] ??= {})[method] = out;
  }
}
paths['/api/v1/openapi.json'] = {
  get: {
    tags: ['Gateway'],
    description: 'This document, answered by the gateway itself.',
    operationId: 'Gateway_GetOpenApiDocument',
    security: [],
    responses: { 200: { description: 'OK', content: { 'application/json': { schema: { type: 'object' } } } } },
  },
};

// Only the schemas the kept routes reach.
const schemas = generated.components.schemas;
const reached = new Set();
const visit = (node) => {
  if (Array.isArray(node)) return node.forEach(visit);
  if (node === null || typeof node !== 'object') return;
  const ref = typeof node.$ref === 'string' ? node.$ref.replace('#/components/schemas/', '') : undefined;
  if (ref !== undefined && !reached.has(ref)) {
    reached.add(ref);
    visit(schemas[ref]);
  }
  Object.values(node).forEach(visit);
};
visit(paths);
const status = schemas.Status;
const keptSchemas = Object.fromEntries(
  Object.keys(schemas)
    .filter((name) => reached.has(name))
    .sort()
    .map((name) => [name, name === 'Status' ? { ...status, required: ['code', 'message'] } : schemas[name]]),
);

const document = {
  openapi: generated.openapi,
  info: {
    title: 'BDK API',
    version: 'v1',
    description:
      'The REST face of bdk.v1.BookLibraryService and bdk.v1.WebhookService, as the BDK gateway answers it. Generated from ' +
      'proto/ by tools/generate-openapi.sh; never edited by hand. Field names are snake_case. Every call but webhook ' +
      'intake and this document carries a bearer JWT. Every error is JSON shaped like google.rpc.Status: {code, message, ' +
      'details}, code being the gRPC code; details (google.rpc.BadRequest field violations, google.rpc.ErrorInfo) say ' +
      'which field is at fault.',
  },
  servers: [{ url: '/', description: 'the gateway that serves this document' }],
  security: [{ bearer: [] }],
  paths,
  components: {
    schemas: keptSchemas,
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
  },
  tags: (generated.tags ?? []).filter((tag) => publicServices.has(`bdk.v1.${tag.name}`)),
};

const pretty = `${JSON.stringify(document, null, 2)}\n`;
// The gateway answers GET /api/v1/openapi.json with this body: a single-quoted YAML scalar on the line of that
// route's direct_response, replaced in place so that nothing else in the file moves.
const gatewayFile = process.env.BDK_OPENAPI_GATEWAY_FILE || 'envoy/gateway.yaml';
const gateway = readFileSync(gatewayFile, 'utf8');
const bodyLine = /^(\s*body: \{ inline_string: )'(?:[^']|'')*'( \} # the OpenAPI document)$/m;
if (!bodyLine.test(gateway)) throw new Error(`${gatewayFile} has no "body: { inline_string: '...' } # the OpenAPI document" line`);
const inline = JSON.stringify(document).replaceAll("'", "''");
const servedGateway = gateway.replace(bodyLine, (_line, head, tail) => `${head}'${inline}'${tail}`);

// The sidecar's request check (bdk.request_body_check in envoy/sidecar.yaml) knows each JSON body's fields from
// here: one Lua line, `local api = {...}`, replaced in place like the gateway's copy.
function fieldKind(schema) {
  const ref = schema.$ref ?? schema.allOf?.[0]?.$ref;
  if (ref !== undefined) {
    const name = ref.replace('#/components/schemas/', '');
    return name === 'GoogleProtobufAny' ? 'any' : `m:${name}`;
  }
  if (schema.type === 'array') return `l:${fieldKind(schema.items ?? {})}`;
  if (schema.type === 'object') return typeof schema.additionalProperties === 'object' ? `map:${fieldKind(schema.additionalProperties)}` : 'any';
  return 's';
}
const luaString = (text) => `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
const luaPattern = (route) =>
  `^${route.replace(/[\^$()%.[\]*+\-?]/g, '%$&').replace(/\{[^}]+\}/g, '[^/]+')}$`;
const bodies = [];
for (const [route, item] of Object.entries(paths)) {
  for (const [method, operation] of Object.entries(item)) {
    const ref = operation.requestBody?.content?.['application/json']?.schema?.$ref;
    if (ref !== undefined) bodies.push([method.toUpperCase(), luaPattern(route), ref.replace('#/components/schemas/', '')]);
  }
}
const bodyMessages = Object.entries(keptSchemas).filter(([name, schema]) => name.endsWith('Request') || schema.properties);
const luaApi =
  `local api = { routes = { ${bodies.map((body) => `{ ${body.map(luaString).join(', ')} }`).join(', ')} }, messages = { ` +
  bodyMessages
    .map(([name, schema]) => `[${luaString(name)}] = { ${Object.entries(schema.properties ?? {}).map(([field, property]) => `[${luaString(field)}] = ${luaString(fieldKind(property))}`).join(', ')} }`)
    .join(', ') +
  ' } }';
const sidecarFile = process.env.BDK_OPENAPI_SIDECAR_FILE || 'envoy/sidecar.yaml';
const sidecarText = readFileSync(sidecarFile, 'utf8');
const apiLine = /^(\s*)local api = .*$/m;
if (!apiLine.test(sidecarText)) throw new Error(`${sidecarFile} has no "local api = ..." line (bdk.request_body_check)`);
const checkedSidecar = sidecarText.replace(apiLine, (_line, indent) => `${indent}${luaApi}`);

const outFile = process.env.BDK_OPENAPI_FILE || 'docs/api/openapi.json';
if (mode === '--check') {
  let committed = '';
  try {
    committed = readFileSync(outFile, 'utf8');
  } catch {
    // missing: stale
  }
  const stale = [
    committed !== pretty && outFile,
    servedGateway !== gateway && `${gatewayFile} (its /api/v1/openapi.json body)`,
    checkedSidecar !== sidecarText && `${sidecarFile} (the request check's fields)`,
  ].filter(Boolean);
  if (stale.length > 0) {
    console.error(`generate-openapi: not what proto/ gives: ${stale.join(', ')}; run tools/generate-openapi.sh`);
    process.exit(1);
  }
  console.log(`generate-openapi: ${outFile}, ${gatewayFile} and ${sidecarFile} are current`);
} else {
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, pretty);
  if (servedGateway !== gateway) writeFileSync(gatewayFile, servedGateway);
  if (checkedSidecar !== sidecarText) writeFileSync(sidecarFile, checkedSidecar);
  console.log(`generate-openapi: wrote ${outFile} (${Object.keys(paths).length} paths), the gateway's copy and the sidecar's request check`);
}
JS
