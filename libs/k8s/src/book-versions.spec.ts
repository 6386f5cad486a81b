// spec.bookRef.version: exact versions, ranges, and resolving a range over a book's published versions.
import { describe, expect, it } from '@jest/globals';
import { followsRange, highestMatching, isExactVersion, isValidVersionRange, isVersionRange, resolveRange } from './book-versions.js';
import type { BookDefinition, BookInstanceDefinition } from './gen/crds.js';
import { bdkLabels } from './labels.js';

function book(version: string, extra: { state?: 'active' | 'deprecated' | 'withdrawn'; organizationId?: string; deleting?: boolean; name?: string } = {}): BookDefinition {
  const name = extra.name ?? 'customer-support';
  return {
    apiVersion: 'bdk.voyager.io/v1',
    kind: 'BookDefinition',
    metadata: {
      name: `${name}-${version.replace(/[^0-9a-z]/g, '-')}`,
      labels: extra.organizationId ? { [bdkLabels.organizationId]: extra.organizationId } : {},
      ...(extra.deleting ? { deletionTimestamp: new Date() } : {}),
    },
    spec: { name, version, ...(extra.state ? { lifecycle: { state: extra.state } } : {}) },
  };
}

const resolved = (range: string, books: BookDefinition[], organizationId = 'org-acme') => resolveRange(range, 'customer-support', organizationId, books).book?.spec.version;
const highest = (range: string, books: BookDefinition[], organizationId = 'org-acme') => highestMatching(range, organizationId, books)?.spec.version;

describe('isExactVersion', () => {
  it('tells a version from a range', () => {
    expect(['1.0.0', '1.2.0-rc.1', '1.0.0+build.5'].map(isExactVersion)).toEqual([true, true, true]);
    expect(['^1.0.0', '~1.2', '1.x', '>=1.0.0 <2.0.0', '*', '=1.0.0', 'v1.0.0'].map(isExactVersion)).toEqual(Array(7).fill(false));
  });
});

describe('isVersionRange', () => {
  it('is false for exact versions, prereleases and build metadata included', () => {
    expect(isVersionRange('1.2.0')).toBe(false);
    expect(isVersionRange('1.2.0-rc.1')).toBe(false);
    expect(isVersionRange('1.2.0+build.7')).toBe(false);
  });

  it('is true for ranges and partial versions', () => {
    expect(isVersionRange('^1.0.0')).toBe(true);
    expect(isVersionRange('~1.2')).toBe(true);
    expect(isVersionRange('>=1.0.0 <2.0.0')).toBe(true);
    expect(isVersionRange('1.x')).toBe(true);
    expect(isVersionRange('v1.2.0')).toBe(true);
  });
});

describe('isValidVersionRange', () => {
  it('tells an exact version from a range, and a range from anything else', () => {
    expect([isExactVersion('1.2.0'), isExactVersion('^1.2.0'), isValidVersionRange('^1.2.0'), isValidVersionRange('>=1.0.0 <2.0.0'), isValidVersionRange('latest')]).toEqual([
      true,
      false,
      true,
      true,
      false,
    ]);
  });

  it('refuses a range longer than the CRD stores', () => {
    expect(isValidVersionRange(`^1.0.0 || ${'1.0.0 || '.repeat(8)}1.0.0`)).toBe(false);
  });
});

describe('followsRange', () => {
  const instance = (version: string): Pick<BookInstanceDefinition, 'spec'> => ({
    spec: { bookRef: { name: 'customer-support', version }, customer: { namespace: 'customer-acme', organization_id: 'org-acme' } },
  });

  it('is true for a range and false for a pin', () => {
    expect(followsRange(instance('^1.0.0'))).toBe(true);
    expect(followsRange(instance('1.0.0'))).toBe(false);
  });
});

describe('highestMatching', () => {
  it('resolves as the controller does: highest match, never withdrawn or deleting, deprecated last, own organisation', () => {
    expect(highest('^1.0.0', [book('1.0.0'), book('1.3.0'), book('2.0.0')])).toBe('1.3.0');
    expect(highest('^1.0.0', [book('1.0.0'), book('1.1.0', { state: 'withdrawn' }), book('1.2.0', { deleting: true })])).toBe('1.0.0');
    expect(highest('^1.0.0', [book('1.0.0'), book('1.1.0', { state: 'deprecated' })])).toBe('1.0.0');
    expect(highest('^1.0.0', [book('1.1.0', { state: 'deprecated' })])).toBe('1.1.0');
    expect(highest('^1.0.0', [book('1.0.0'), book('1.1.0', { organizationId: 'org-globex' })])).toBe('1.0.0');
    expect(highest('^1.0.0', [book('1.1.0-rc.1')])).toBeUndefined();
    expect(highest('^1.1.0-rc.0', [book('1.1.0-rc.1')])).toBe('1.1.0-rc.1');
  });

  it("never takes another organisation's book, even when it is the only match", () => {
    expect(highest('^1.0.0', [book('1.1.0', { organizationId: 'org-globex' })], 'org-acme')).toBeUndefined();
    expect(highest('^1.0.0', [book('1.1.0', { organizationId: 'org-globex' })], 'org-globex')).toBe('1.1.0');
  });
});

describe('resolveRange', () => {
  it('picks the highest version the range matches', () => {
    const books = [book('1.0.0'), book('1.1.0'), book('1.10.0'), book('2.0.0')];
    expect(resolved('^1.0.0', books)).toBe('1.10.0');
    expect(resolved('~1.1.0', books)).toBe('1.1.0');
    expect(resolved('>=1.0.0 <3.0.0', books)).toBe('2.0.0');
    expect(resolveRange('^1.0.0', 'customer-support', 'org-acme', books).message).toBe(
      'book customer-support version 1.10.0 (BookDefinition customer-support-1-10-0), the highest matching ^1.0.0',
    );
  });

  it('never takes a withdrawn version, nor one being deleted, nor another book', () => {
    expect(resolved('^1.0.0', [book('1.0.0'), book('1.2.0', { state: 'withdrawn' }), book('1.3.0', { deleting: true }), book('1.4.0', { name: 'billing' })])).toBe(
      '1.0.0',
    );
    expect(resolveRange('^1.0.0', 'customer-support', 'org-acme', [book('1.2.0', { state: 'withdrawn' })])).toEqual({
      message: expect.stringMatching(/^no published version of book customer-support matches \^1\.0\.0/),
    });
  });

  it('takes a deprecated version only when no active one matches', () => {
    expect(resolved('^1.0.0', [book('1.0.0'), book('1.1.0', { state: 'deprecated' })])).toBe('1.0.0');
    expect(resolved('^1.0.0', [book('1.0.0', { state: 'deprecated' }), book('1.1.0', { state: 'deprecated' })])).toBe('1.1.0');
    expect(resolveRange('^1.0.0', 'customer-support', 'org-acme', [book('1.0.0', { state: 'deprecated' })]).message).toBe(
      'book customer-support version 1.0.0 (BookDefinition customer-support-1-0-0), deprecated: no active version matches ^1.0.0',
    );
  });

  it('takes prereleases only when the range names one', () => {
    const books = [book('1.0.0'), book('1.1.0-rc.1')];
    expect(resolved('^1.0.0', books)).toBe('1.0.0');
    expect(resolved('^1.1.0-rc.0', books)).toBe('1.1.0-rc.1');
  });

  it("takes books of no organisation or the instance's own, never another organisation's", () => {
    const books = [book('1.0.0'), book('1.1.0', { organizationId: 'org-acme' }), book('1.2.0', { organizationId: 'org-globex' })];
    expect(resolved('^1.0.0', books, 'org-acme')).toBe('1.1.0');
    expect(resolved('^1.0.0', books, 'org-initech')).toBe('1.0.0');
  });

  it('says so when the version is not a range', () => {
    expect(resolveRange('latest please', 'customer-support', 'org-acme', [book('1.0.0')]).message).toMatch(/neither a semantic version nor a semver range/);
  });
});
