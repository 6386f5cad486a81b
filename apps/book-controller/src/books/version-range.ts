// How spec.bookRef names a book. An exact version (`1.2.0`) pins one BookDefinition: bookRef.name is its
// metadata.name. Anything else is a semver range (`^1.0.0`, `~1.2`, `>=1.0.0 <2.0.0`) over the versions of one
// book: bookRef.name is then the book's name (the spec.name every version shares), since a range cannot point at one
// versioned object, and the controller resolves it to one of the BookDefinitions in the instance's namespace.
import semver from 'semver';
import { bdkLabels, type BookDefinition, type BookInstanceDefinition } from '@bdk/k8s';

/** The CRD's pattern for a BookDefinition's spec.version (semver 2.0.0, build metadata allowed, no `v`). */
const exactVersionPattern =
  /^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;

export function isExactVersion(version: string): boolean {
  return exactVersionPattern.test(version);
}

/** Whether spec.bookRef follows a range (as opposed to pinning one BookDefinition). */
export function followsRange(instance: BookInstanceDefinition): boolean {
  return !isExactVersion(instance.spec.bookRef.version);
}

export interface Resolution {
  /** The version the range resolves to; undefined when none matches. */
  book?: BookDefinition;
  /** Why this one (or why none), for the BookResolved condition. */
  message: string;
}

/**
 * The BookDefinition a range resolves to, among `books` (the BookDefinitions of the instance's namespace):
 * candidates are the versions of the book the range names (spec.name) that are not being deleted, are not
 * withdrawn, and carry no organisation label or the instance's; the highest one the range matches wins, a
 * deprecated one only when no active one matches. A prerelease matches only a range that names a prerelease of
 * the same major.minor.patch (semver's own rule: `^1.1.0-rc.0` takes `1.1.0-rc.1`, `^1.0.0` does not).
 */
export function resolveRange(range: string, bookName: string, organizationId: string, books: readonly BookDefinition[]): Resolution {
  if (semver.validRange(range) === null) return { message: `spec.bookRef.version "${range}" is neither a semantic version nor a semver range` };
  const candidates = books.filter((book) => {
    const owner = book.metadata.labels?.[bdkLabels.organizationId];
    return (
      book.spec.name === bookName &&
      !book.metadata.deletionTimestamp &&
      book.spec.lifecycle?.state !== 'withdrawn' &&
      (owner === undefined || owner === organizationId) &&
      semver.valid(book.spec.version) !== null &&
      semver.satisfies(book.spec.version, range)
    );
  });
  const highest = (list: BookDefinition[]) => list.sort((a, b) => semver.rcompare(a.spec.version, b.spec.version))[0];
  const active = highest(candidates.filter((book) => book.spec.lifecycle?.state !== 'deprecated'));
  if (active) return { book: active, message: `book ${bookName} version ${active.spec.version} (BookDefinition ${active.metadata.name ?? ''}), the highest matching ${range}` };
  const deprecated = highest(candidates);
  if (deprecated) {
    return {
      book: deprecated,
      message: `book ${bookName} version ${deprecated.spec.version} (BookDefinition ${deprecated.metadata.name ?? ''}), deprecated: no active version matches ${range}`,
    };
  }
  return { message: `no published version of book ${bookName} matches ${range} (withdrawn and deleting versions, and other organisations' books, do not count)` };
}

/**
 * Whether `instance` keeps `book` from being deleted: an exact pin holds the BookDefinition it names; a range holds
 * the version it resolved to and runs (status.resolved_version), until it moves to another one.
 */
export function holdsBook(instance: BookInstanceDefinition, book: BookDefinition): boolean {
  const { name } = instance.spec.bookRef;
  if (!followsRange(instance)) return name === book.metadata.name;
  return name === book.spec.name && instance.status?.resolved_version === book.spec.version;
}
