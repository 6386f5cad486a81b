// A book version's lifecycle (spec.lifecycle of its BookDefinition, the one part of a published version that may
// change, with kubectl or a GitOps tool): whether CreateBookInstance makes new instances of it. Running instances
// are never touched by it.
import { Code, ConnectError, type HandlerContext } from '@connectrpc/connect';
import type { BookDefinition, BookDefinitionSpec } from '@bdk/k8s';

export type LifecycleState = NonNullable<BookDefinitionSpec['lifecycle']>['state'];

/** The response header that answers a new instance of a deprecated version. */
export const warningHeader = 'warning';

/** `book customer-support version 1.0.0 is <state>[: <message>]` */
function describeState(book: BookDefinition, state: LifecycleState): string {
  const message = book.spec.lifecycle?.message;
  return `book ${book.spec.name} version ${book.spec.version} is ${state}${message ? `: ${message}` : ''}`;
}

/**
 * A Warning header value in the form the Kubernetes API answers with and kubectl prints (`299 - "text"`): the text
 * quoted, with anything a header may not carry (all but printable ASCII) replaced.
 */
export function warningValue(text: string): string {
  const printable = text.replace(/[^\x20-\x7e]/g, '?').replace(/["\\]/g, (character) => `\\${character}`);
  return `299 - "${printable}"`;
}

/**
 * Whether a new instance of `book` may be made: a withdrawn version is FAILED_PRECONDITION naming it; a deprecated
 * one is made, and the answer carries a warning header saying so (the REST sidecar passes it on).
 */
export function admitNewInstance(book: BookDefinition, context: HandlerContext): void {
  const state = book.spec.lifecycle?.state ?? 'active';
  if (state === 'withdrawn') throw new ConnectError(`${describeState(book, state)}; it takes no new instances`, Code.FailedPrecondition);
  if (state === 'deprecated') context.responseHeader.append(warningHeader, warningValue(describeState(book, state)));
}
