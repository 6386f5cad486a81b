// The finalizer that keeps a BookDefinition while instances run it, which instances hold it, and how they are named
// (in the book's status, written by the book controller, and in the library-service's refusal of DeleteBook).
import { followsRange } from './book-versions.js';
import type { BookDefinition, BookInstanceDefinition } from './gen/crds.js';
import { instanceIdOf } from './object-ids.js';

/**
 * On every BookDefinition (the library-service adds it when it creates a book, so it is held from the start; the
 * book controller adds it to books applied with kubectl): a book being deleted stays, Terminating, until no
 * BookInstanceDefinition holds it.
 */
export const bookInUseFinalizer = 'bdk.voyager.io/book-in-use';

/** How many instances a message names before it counts the rest. */
export const namedHoldersLimit = 10;

/**
 * Whether `instance` keeps `book` from being deleted: an exact pin holds the BookDefinition it names; a range holds
 * the version it resolved to and runs (status.resolved_version of the same book name), until it moves to another one.
 */
export function holdsBook(instance: BookInstanceDefinition, book: BookDefinition): boolean {
  const { name } = instance.spec.bookRef;
  if (!followsRange(instance)) return name === book.metadata.name;
  return name === book.spec.name && instance.status?.resolved_version === book.spec.version;
}

export function holdersOf(book: BookDefinition, instances: readonly BookInstanceDefinition[]): BookInstanceDefinition[] {
  return instances.filter((instance) => holdsBook(instance, book));
}

/** `<instance id> (<object name>)` for each of the first `limit` holders by object name. */
export function nameHolders(holders: readonly BookInstanceDefinition[], limit = namedHoldersLimit): string[] {
  return [...holders]
    .sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''))
    .slice(0, limit)
    .map((instance) => `${instanceIdOf(instance)} (${instance.metadata.name ?? ''})`);
}

/** `<instance id> (<object name>), …` for the first few, then `and N more`. */
export function describeHolders(holders: readonly BookInstanceDefinition[], limit = namedHoldersLimit): string {
  const named = nameHolders(holders, limit);
  const more = holders.length - named.length;
  return more > 0 ? `${named.join(', ')} and ${more} more` : named.join(', ');
}
