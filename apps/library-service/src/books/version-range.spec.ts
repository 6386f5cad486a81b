import { describe, expect, it } from '@jest/globals';
import { bdkLabels, type BookDefinition } from '@bdk/k8s';
import { highestMatching, isExactVersion, isVersionRange } from './version-range.js';

function book(version: string, extra: { state?: 'deprecated' | 'withdrawn'; organizationId?: string; deleting?: boolean } = {}): BookDefinition {
  return {
    apiVersion: 'bdk.voyager.io/v1',
    kind: 'BookDefinition',
    metadata: {
      name: `customer-support-${version}`,
      labels: extra.organizationId ? { [bdkLabels.organizationId]: extra.organizationId } : {},
      ...(extra.deleting ? { deletionTimestamp: new Date() } : {}),
    },
    spec: { name: 'customer-support', version, ...(extra.state ? { lifecycle: { state: extra.state } } : {}) },
  };
}

const highest = (range: string, books: BookDefinition[], organizationId = 'org-acme') => highestMatching(range, organizationId, books)?.spec.version;

describe('book version ranges in the API', () => {
  it('tells an exact version from a range, and a range from anything else', () => {
    expect([isExactVersion('1.2.0'), isExactVersion('^1.2.0'), isVersionRange('^1.2.0'), isVersionRange('>=1.0.0 <2.0.0'), isVersionRange('latest')]).toEqual([
      true,
      false,
      true,
      true,
      false,
    ]);
    expect(isVersionRange(`^1.0.0 || ${'1.0.0 || '.repeat(8)}1.0.0`)).toBe(false);
  });

  it('resolves as the controller does: highest match, never withdrawn or deleting, deprecated last, own organisation', () => {
    expect(highest('^1.0.0', [book('1.0.0'), book('1.3.0'), book('2.0.0')])).toBe('1.3.0');
    expect(highest('^1.0.0', [book('1.0.0'), book('1.1.0', { state: 'withdrawn' }), book('1.2.0', { deleting: true })])).toBe('1.0.0');
    expect(highest('^1.0.0', [book('1.0.0'), book('1.1.0', { state: 'deprecated' })])).toBe('1.0.0');
    expect(highest('^1.0.0', [book('1.1.0', { state: 'deprecated' })])).toBe('1.1.0');
    expect(highest('^1.0.0', [book('1.0.0'), book('1.1.0', { organizationId: 'org-globex' })])).toBe('1.0.0');
    expect(highest('^1.0.0', [book('1.1.0-rc.1')])).toBeUndefined();
    expect(highest('^1.1.0-rc.0', [book('1.1.0-rc.1')])).toBe('1.1.0-rc.1');
  });
});
