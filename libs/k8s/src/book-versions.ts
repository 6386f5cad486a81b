// How spec.bookRef.version names a book. An exact version (`1.2.0`) pins one BookDefinition: bookRef.name is its
// metadata.name. Anything else is a semver range (`^1.0.0`, `~1.2`, `>=1.0.0 <2.0.0`) over the versions of one
// book: bookRef.name is then the book's name (the spec.name every version shares), since a range cannot point at one
// versioned object. The book controller resolves a range to one of the BookDefinitions in the instance's namespace
// and the library-service applies the same rule, so the API refuses a range nothing matches.
import semver from 'semver';
import type { BookDefinition, BookInstanceDefinition } from './gen/crds.js';
import { bdkLabels } from './labels.js';

/** The CRD's pattern for a BookDefinition's spec.version (semver 2.0.0, build metadata allowed, no `v`). */
const exactVersionPattern =
  /^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;

/** The longest spec.bookRef.version the CRD stores. */
const maxVersionLength = 64;

export function isExactVersion(version: string): boolean {
  return exactVersionPattern.test(version);
}

/** Whether a bookRef.version is a range rather than one exact version (it may still not parse as one). */
export function isVersionRange(version: string): boolean {
  return !isExactVersion(version);
}

/** Whether `range` is a semver range the CRD stores (at most 64 characters). */
export function isValidVersionRange(range: string): boolean {
  return range.length <= maxVersionLength && semver.validRange(range) !== null;
}

/** Whether spec.bookRef follows a range (as opposed to pinning one BookDefinition). */
export function followsRange(instance: Pick<BookInstanceDefinition, 'spec'>): boolean {
  return isVersionRange(instance.spec.bookRef.version);
}

/**
 * The version a range runs among `books` (the versions of one book): the highest that the range matches, is not
 * being deleted or withdrawn, and carries no organisation label or `organizationId`'s (a book another organisation
 * owns is never a candidate); a deprecated one only when no active one matches. A prerelease matches only a range
 * that names a prerelease of the same major.minor.patch (semver's own rule: `^1.1.0-rc.0` takes `1.1.0-rc.1`,
 * `^1.0.0` does not).
 */
export function highestMatching(range: string, organizationId: string, books: readonly BookDefinition[]): BookDefinition | undefined {
  const candidates = books
    .filter((book) => {
      const owner = book.metadata.labels?.[bdkLabels.organizationId];
      return (
        !book.metadata.deletionTimestamp &&
        book.spec.lifecycle?.state !== 'withdrawn' &&
        (owner === undefined || owner === organizationId) &&
        semver.valid(book.spec.version) !== null &&
        semver.satisfies(book.spec.version, range)
      );
    })
    .sort((a, b) => semver.rcompare(a.spec.version, b.spec.version));
  return candidates.find((book) => book.spec.lifecycle?.state !== 'deprecated') ?? candidates[0];
}

export interface Resolution {
  /** The version the range resolves to; undefined when none matches. */
  book?: BookDefinition;
  /** Why this one (or why none), for the instance's BookResolved condition. */
  message: string;
}

/**
 * The BookDefinition a range resolves to among `books` (the BookDefinitions of the instance's namespace, of any
 * book): highestMatching over the versions of the book the range names (spec.name), with the reason for the choice.
 */
export function resolveRange(range: string, bookName: string, organizationId: string, books: readonly BookDefinition[]): Resolution {
  if (semver.validRange(range) === null) return { message: `spec.bookRef.version "${range}" is neither a semantic version nor a semver range` };
  const book = highestMatching(
    range,
    organizationId,
    books.filter((candidate) => candidate.spec.name === bookName),
  );
  if (!book) {
    return { message: `no published version of book ${bookName} matches ${range} (withdrawn and deleting versions, and other organisations' books, do not count)` };
  }
  const described = `book ${bookName} version ${book.spec.version} (BookDefinition ${book.metadata.name ?? ''})`;
  if (book.spec.lifecycle?.state === 'deprecated') return { book, message: `${described}, deprecated: no active version matches ${range}` };
  return { book, message: `${described}, the highest matching ${range}` };
}
