import { describe, expect, it } from '@jest/globals';
import { containsDesired, jsonEqual } from './object-compare.js';

describe('containsDesired', () => {
  it('ignores fields only the apiserver sets, and compares what the controller sets', () => {
    const observed = { spec: { replicas: 2, progressDeadlineSeconds: 600, template: { containers: [{ name: 'a', imagePullPolicy: 'IfNotPresent' }] } } };
    expect(containsDesired(observed, { spec: { replicas: 2, template: { containers: [{ name: 'a' }] } } })).toBe(true);
    expect(containsDesired(observed, { spec: { replicas: 3 } })).toBe(false);
    expect(containsDesired(observed, { spec: { template: { containers: [{ name: 'a' }, { name: 'b' }] } } })).toBe(false);
  });

  it('treats values the apiserver omits when empty as equal to absent', () => {
    expect(containsDesired({ env: [{ name: 'X' }], volume: { emptyDir: {} } }, { env: [{ name: 'X', value: '' }], volume: { emptyDir: {} } })).toBe(true);
  });

  it('compares deserialized timestamps with their string form', () => {
    expect(containsDesired({ at: new Date('2026-01-01T00:00:00Z') }, { at: '2026-01-01T00:00:00Z' })).toBe(true);
  });
});

describe('jsonEqual', () => {
  it('ignores key order and undefined fields', () => {
    expect(jsonEqual({ a: 1, b: { c: [1, 2] }, d: undefined }, { b: { c: [1, 2] }, a: 1 })).toBe(true);
    expect(jsonEqual({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
  });
});
