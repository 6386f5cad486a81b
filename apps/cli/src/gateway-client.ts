// REST calls to the BDK gateway (the spec's /api/v1 routes), with the bearer token; error answers become ApiErrors
// that keep the gRPC status and the fields the server named.
import { ApiError, CliError, type FieldViolation } from './errors.js';
import type { Connection } from './config.js';

export interface RequestOptions {
  /** Sent as JSON. */
  json?: unknown;
  /** Sent byte for byte (a webhook body). */
  body?: Uint8Array;
  query?: Record<string, string | number | undefined>;
  headers?: Record<string, string>;
  /** Whether to send the bearer token; default true. */
  authenticate?: boolean;
}

export type JsonObject = Record<string, unknown>;

export class GatewayClient {
  constructor(
    readonly connection: Connection,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  /** The JSON answer of a 2xx; throws ApiError for any other status, CliError when the gateway cannot be reached. */
  async request(method: string, route: string, options: RequestOptions = {}): Promise<JsonObject> {
    const url = new URL(route.startsWith('http') ? route : `${this.connection.server}${route}`);
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined && value !== '') url.searchParams.set(name, String(value));
    }
    const headers = new Headers(options.headers);
    if ((options.authenticate ?? true) && this.connection.token) headers.set('authorization', `Bearer ${this.connection.token}`);
    let body: string | Uint8Array | undefined = options.body;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    }
    let response: Response;
    try {
      response = await this.fetchImpl(url, { method, headers, body });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(`cannot reach ${url.origin}: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
    }
    const text = await response.text();
    const parsed = parseJson(text);
    if (!response.ok) throw apiErrorFrom(response, parsed, text);
    if (text !== '' && parsed === undefined) throw new CliError(`${method} ${url.pathname}: HTTP ${response.status} with a body that is not JSON`);
    return (parsed as JsonObject | undefined) ?? {};
  }
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The gateway's error body is google.rpc.Status as JSON: {code, message, details}; a bare proxy error is text. */
function apiErrorFrom(response: Response, parsed: unknown, text: string): ApiError {
  if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
    const status = parsed as JsonObject;
    const code = typeof status['code'] === 'number' ? status['code'] : undefined;
    const message = typeof status['message'] === 'string' && status['message'] ? status['message'] : response.statusText;
    return new ApiError(response.status, code, message, fieldViolationsOf(status['details']));
  }
  return new ApiError(response.status, undefined, text.trim().slice(0, 500) || response.statusText);
}

function fieldViolationsOf(details: unknown): FieldViolation[] {
  if (!Array.isArray(details)) return [];
  const violations: FieldViolation[] = [];
  for (const detail of details as JsonObject[]) {
    const list = detail?.['fieldViolations'] ?? detail?.['field_violations'];
    if (!Array.isArray(list)) continue;
    for (const violation of list as JsonObject[]) {
      violations.push({ field: String(violation['field'] ?? ''), description: String(violation['description'] ?? '') });
    }
  }
  return violations;
}
