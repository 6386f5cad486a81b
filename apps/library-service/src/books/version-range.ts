// spec.bookRef.version as the API writes it: an exact version pins one BookDefinition (bookRef.name is its
// metadata.name); anything else is a semver range over the versions of one book (bookRef.name is the book's name,
// spec.name). The book controller resolves a range to the highest matching published version and rolls the
// instance as versions are published; this is the same rule, so the API refuses a range nothing matches.
import semver from 'semver';
import { bdkLabels, type BookDefinition } from '@bdk/k8s';

/** The CRD's pattern for a BookDefinition's spec.version: semver 2.0.0, build metadata allowed, no `v`. */
const exactVersionPattern =
  /^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;

export function isExactVersion(version: string): boolean {
  return exactVersionPattern.test(version);
}

/** Whether `range` is a semver range the CRD stores (at most 64 characters). */
export function isVersionRange(range: string): boolean {
  return range.length <= 64 && semver.validRange(range) !== null;
}

/**
 * The version a range runs among `books` (the versions of one book): the highest that matches, is not being
 * deleted or withdrawn, and carries no organisation label or `organizationId`'s; a deprecated one only when no
 * active one matches; a prerelease only when the range names one.
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
