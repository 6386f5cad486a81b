// Which instances keep a book from being deleted. The book controller holds every BookDefinition with the
// finalizer below until none does (apps/book-controller/src/books); DeleteBook answers with the same rule, naming
// them, instead of leaving the book Terminating.
import { instanceIdOf, type BookDefinition, type BookInstanceDefinition } from '@bdk/k8s';
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

/** `<instance id> (<object name>), …` for the first few, then `and N more`. */
export function describeHolders(holders: readonly BookInstanceDefinition[], limit = namedHoldersLimit): string {
  const named = [...holders]
    .sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''))
    .slice(0, limit)
    .map((instance) => `${instanceIdOf(instance)} (${instance.metadata.name ?? ''})`);
  const more = holders.length - named.length;
  return more > 0 ? `${named.join(', ')} and ${more} more` : named.join(', ');
}
