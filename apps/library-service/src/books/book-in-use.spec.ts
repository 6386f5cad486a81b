import { describe, expect, it } from '@jest/globals';
import { bdkLabels, type BookInstanceDefinition } from '@bdk/k8s';
import { describeHoldersTo } from './book-in-use.js';

function instance(name: string, organizationId: string): BookInstanceDefinition {
  return {
    apiVersion: 'bdk.voyager.io/v1',
    kind: 'BookInstanceDefinition',
    metadata: { name, namespace: 'bdk', labels: { [bdkLabels.organizationId]: organizationId, [bdkLabels.instanceId]: `id-${name}` } },
    spec: { bookRef: { name: 'support-1-0-0', version: '1.0.0' }, customer: { namespace: `customer-${organizationId}`, organization_id: organizationId } },
  } as BookInstanceDefinition;
}

describe('describeHoldersTo', () => {
  it("names the caller's organisation's instances and only counts another organisation's", () => {
    const holders = [instance('b', 'org-a'), instance('x', 'org-b'), instance('a', 'org-a'), instance('y', 'org-b')];
    expect(describeHoldersTo('org-a', holders)).toBe('id-a (a), id-b (b), 2 of other organisations');
    expect(describeHoldersTo('org-b', holders)).not.toMatch(/id-a|id-b|\(a\)|\(b\)/);
  });

  it('names every one to a platform admin (a caller without an organisation)', () => {
    expect(describeHoldersTo(undefined, [instance('a', 'org-a'), instance('x', 'org-b')])).toBe('id-a (a), id-x (x)');
  });

  it('stops naming after the limit', () => {
    const holders = ['a', 'b', 'c'].map((name) => instance(name, 'org-a'));
    expect(describeHoldersTo('org-a', holders, 2)).toBe('id-a (a), id-b (b), 1 more');
  });
});
