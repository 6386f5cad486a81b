// Which instances keep a book from being deleted. The book controller holds every BookDefinition with the
// finalizer below until none does (apps/book-controller/src/books); DeleteBook answers with the same rule, naming
// them, instead of leaving the book Terminating.
import { bdkLabels, instanceIdOf, type BookDefinition, type BookInstanceDefinition } from '@bdk/k8s';
import { isExactVersion } from './version-range.js';

/** The book controller's finalizer, written here on every book the API creates so it is held from the start. */
export const bookInUseFinalizer = 'bdk.voyager.io/book-in-use';

/** How many instances a refusal names before it says "and N more". */
export const namedHoldersLimit = 10;

/**
 * An exact pin holds the BookDefinition its bookRef names; a range holds the version it resolved to and runs
 * (status.resolved_version of the same book name).
 */
export function holdsBook(instance: BookInstanceDefinition, book: BookDefinition): boolean {
  const { name, version } = instance.spec.bookRef;
  if (isExactVersion(version)) return name === book.metadata.name;
  return name === book.spec.name && instance.status?.resolved_version === book.spec.version;
}

/**
 * `<instance id> (<object name>), …` for the first few of the caller's organisation's instances, then `N more`.
 * A book is shared by every organisation, but its instances are not: another organisation's are only counted. A
 * platform admin (a token without an organisation) is told every one.
 */
export function describeHolders(holders: readonly BookInstanceDefinition[], organizationId: string | undefined, limit = namedHoldersLimit): string {
  const own = holders.filter((instance) => organizationId === undefined || instance.metadata.labels?.[bdkLabels.organizationId] === organizationId);
  const named = [...own]
    .sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''))
    .slice(0, limit)
    .map((instance) => `${instanceIdOf(instance)} (${instance.metadata.name ?? ''})`);
  const parts = [...named];
  if (own.length > named.length) parts.push(`${own.length - named.length} more`);
  const others = holders.length - own.length;
  if (others > 0) parts.push(`${others} of other organisations`);
  return parts.join(', ');
}
