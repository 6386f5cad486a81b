// The answer to a payload every target refused. gRPC has no 422: the status is INVALID_ARGUMENT (HTTP 400 to a
// gRPC-to-JSON transcoder) and the x-bdk-http-status response header says 422, which the Envoy sidecar's Lua
// filter makes the HTTP status (envoy/sidecar.yaml), as it does for 201. 422, not 400: the request itself is
// well formed and authenticated; its content is what the book does not take. The details say it in the shape
// clients already read (AIP-193): google.rpc.BadRequest with one field violation per problem, the field a JSON
// Pointer into the payload, and google.rpc.ErrorInfo with a reason a client can switch on.
import { Code, ConnectError, type HandlerContext } from '@connectrpc/connect';
import { BadRequestSchema, ErrorInfoSchema } from '@bdk/proto';
import type { Violation } from './payload-validator.js';

/** Response header naming the HTTP status a REST client gets, read and removed by the sidecar. */
export const httpStatusHeader = 'x-bdk-http-status';

/** ErrorInfo of a refused payload. */
export const payloadViolationReason = 'PAYLOAD_SCHEMA_VIOLATION';
export const errorDomain = 'bdk.voyager.io';

/** How many violations the message spells out; every one is in the details and the log. */
const violationsInMessage = 3;

/** "/ticket/id must be string", or "the payload must be JSON" for the root. */
export function describeViolation(violation: Violation): string {
  return `${violation.field === '' ? 'the payload' : violation.field} ${violation.description}`;
}

export function payloadRefusal(context: HandlerContext, refusal: { source: string; books: readonly string[]; violations: readonly Violation[] }): ConnectError {
  const { violations } = refusal;
  context.responseHeader.set(httpStatusHeader, '422');
  const shown = violations.slice(0, violationsInMessage).map(describeViolation).join('; ');
  const more = violations.length > violationsInMessage ? ` (and ${violations.length - violationsInMessage} more)` : '';
  return new ConnectError(`the payload does not match what the book accepts from this source: ${shown}${more}`, Code.InvalidArgument, undefined, [
    { desc: BadRequestSchema, value: { fieldViolations: violations.map(({ field, description }) => ({ field, description })) } },
    {
      desc: ErrorInfoSchema,
      value: { reason: payloadViolationReason, domain: errorDomain, metadata: { source: refusal.source, book: [...new Set(refusal.books)].join(',') } },
    },
  ]);
}

