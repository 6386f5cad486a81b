// The answer to a payload every target refused. gRPC has no 422: the status is INVALID_ARGUMENT (HTTP 400 to a
// gRPC-to-JSON transcoder) and the x-bdk-http-status response header says 422, which the Envoy sidecar's Lua
// filter makes the HTTP status (envoy/sidecar.yaml), as it does for 201. 422, not 400: the request itself is
// well formed and authenticated; its content is what the book does not take.
import { Code, ConnectError, type HandlerContext } from '@connectrpc/connect';
import type { Violation } from './payload-validator.js';

/** Response header naming the HTTP status a REST client gets, read and removed by the sidecar. */
export const httpStatusHeader = 'x-bdk-http-status';

/** Response header listing, on a 200, the targets (`<customer namespace>/<book>`) the payload was refused for. */
export const refusedTargetsHeader = 'x-bdk-refused-targets';

/** How many violations the message spells out; every one is logged. */
const violationsInMessage = 3;

/** "/ticket/id must be string", or "the payload must be JSON" for the root. */
export function describeViolation(violation: Violation): string {
  return `${violation.field === '' ? 'the payload' : violation.field} ${violation.description}`;
}

export function payloadRefusal(context: HandlerContext, violations: readonly Violation[]): ConnectError {
  context.responseHeader.set(httpStatusHeader, '422');
  const shown = violations.slice(0, violationsInMessage).map(describeViolation).join('; ');
  const more = violations.length > violationsInMessage ? ` (and ${violations.length - violationsInMessage} more)` : '';
  return new ConnectError(`the payload does not match what the book accepts from this source: ${shown}${more}`, Code.InvalidArgument);
}
