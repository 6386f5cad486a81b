// Which BookDefinition an instance's spec.bookRef stands for. An exact version pins one BookDefinition (bookRef.name
// is its metadata.name); anything else is a semver range over the versions of one book (bookRef.name is the book's
// spec.name), and only the controller's resolution, recorded in status.resolved_book, names the object it runs.
import { isVersionRange } from './book-versions.js';
import type { BookInstanceDefinition } from './gen/crds.js';

/**
 * The metadata.name of the BookDefinition the instance runs: the pinned object, or for a range the one the controller
 * resolved it to. Undefined for a range not resolved yet: such an instance is not deployable, and nothing should
 * reach a book through it.
 */
export function bookObjectNameOf(instance: Pick<BookInstanceDefinition, 'spec' | 'status'>): string | undefined {
  const { name, version } = instance.spec.bookRef;
  if (!isVersionRange(version)) return name;
  const resolved = instance.status?.resolved_book;
  return resolved === undefined || resolved === '' ? undefined : resolved;
}
