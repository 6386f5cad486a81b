import { describe, expect, it } from '@jest/globals';
import { canonicalInstanceId, instanceIdProblem } from './instance-id.js';

describe('instanceIdProblem', () => {
  it.each(['0b7c1d5e-8a8e-4f43-9d5c-3f7b1c2a9e10', '0B7C1D5E-8A8E-4F43-9D5C-3F7B1C2A9E10'])('accepts %s', (id) => {
    expect(instanceIdProblem(id)).toBeUndefined();
  });

  it.each(['', 'customer-acme', '0b7c1d5e8a8e4f439d5c3f7b1c2a9e10', '0b7c1d5e-8a8e-4f43-9d5c-3f7b1c2a9e1', '0b7c1d5e-8a8e-4f43-9d5c-3f7b1c2a9e10/..', 'g'.repeat(8) + '-8a8e-4f43-9d5c-3f7b1c2a9e10'])(
    'rejects "%s"',
    (id) => {
      expect(instanceIdProblem(id)).toBe('must be a UUID (8-4-4-4-12 hexadecimal digits)');
    },
  );

  it('lower-cases an id', () => {
    expect(canonicalInstanceId('0B7C1D5E-8A8E-4F43-9D5C-3F7B1C2A9E10')).toBe('0b7c1d5e-8a8e-4f43-9d5c-3f7b1c2a9e10');
  });
});
