// The finalizer that keeps a BookDefinition while instances run it, and how the instances that hold it are named
// (in the book's status and in the library-service's refusal of DeleteBook).
import { instanceIdOf, type BookDefinition, type BookInstanceDefinition } from '@bdk/k8s';
import { holdsBook } from './version-range.js';

/**
 * On every BookDefinition (the library-service adds it when it creates a book, the book reconciler to books applied
 * with kubectl): a book being deleted stays, Terminating, until no BookInstanceDefinition holds it. The
 * library-service writes the same name.
 */
export const bookInUseFinalizer = 'bdk.voyager.io/book-in-use';

/** How many instances a message names before it says "and N more". */
export const namedHoldersLimit = 10;

export function holdersOf(book: BookDefinition, instances: readonly BookInstanceDefinition[]): BookInstanceDefinition[] {
  return instances.filter((instance) => holdsBook(instance, book));
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
