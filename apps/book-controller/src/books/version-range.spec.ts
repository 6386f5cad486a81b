// Resolving spec.bookRef.version ranges over a book's published versions.
import { describe, expect, it } from '@jest/globals';
import { bdkLabels, type BookDefinition, type BookInstanceDefinition } from '@bdk/k8s';
import { holdsBook, isExactVersion, resolveRange } from './version-range.js';

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

describe('isExactVersion', () => {
  it('tells a version from a range', () => {
    expect(['1.0.0', '1.2.0-rc.1', '1.0.0+build.5'].map(isExactVersion)).toEqual([true, true, true]);
    expect(['^1.0.0', '~1.2', '1.x', '>=1.0.0 <2.0.0', '*', '=1.0.0', 'v1.0.0'].map(isExactVersion)).toEqual(Array(7).fill(false));
  });
});

describe('resolveRange', () => {
  it('picks the highest version the range matches', () => {
    const books = [book('1.0.0'), book('1.1.0'), book('1.10.0'), book('2.0.0')];
    expect(resolved('^1.0.0', books)).toBe('1.10.0');
    expect(resolved('~1.1.0', books)).toBe('1.1.0');
    expect(resolved('>=1.0.0 <3.0.0', books)).toBe('2.0.0');
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

describe('holdsBook', () => {
  const instance = (bookRef: { name: string; version: string }, resolved_version?: string): BookInstanceDefinition => ({
    apiVersion: 'bdk.voyager.io/v1',
    kind: 'BookInstanceDefinition',
    metadata: { name: 'i' },
    spec: { bookRef, customer: { namespace: 'customer-acme', organization_id: 'org-acme' } },
    ...(resolved_version ? { status: { resolved_version } } : {}),
  });

  it('an exact pin holds the object it names; a range the version it runs', () => {
    const v1 = book('1.0.0');
    expect(holdsBook(instance({ name: 'customer-support-1-0-0', version: '1.0.0' }), v1)).toBe(true);
    expect(holdsBook(instance({ name: 'customer-support-1-1-0', version: '1.1.0' }), v1)).toBe(false);
    expect(holdsBook(instance({ name: 'customer-support', version: '^1.0.0' }, '1.0.0'), v1)).toBe(true);
    expect(holdsBook(instance({ name: 'customer-support', version: '^1.0.0' }, '1.1.0'), v1)).toBe(false);
    expect(holdsBook(instance({ name: 'customer-support', version: '^1.0.0' }), v1)).toBe(false);
  });
});
