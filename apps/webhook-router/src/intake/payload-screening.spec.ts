import { describe, expect, it } from '@jest/globals';
import type { PayloadContract } from './payload-contract.js';
import { distinctViolations, screenPayload } from './payload-screening.js';
import { createPayloadValidator, type PayloadValidator } from './payload-validator.js';
import type { VerifiedSubscriber } from './subscriber-verification.js';

function subscriber(name: string): VerifiedSubscriber {
  return { target: { $typeName: 'bdk.v1.InstanceTarget', namespace: 'bdk', name }, instanceId: `id-${name}`, organizationId: 'org-acme', routedTo: `customer-acme/${name}`, scheme: 'zendesk', secretIndex: 0 };
}

const strict: PayloadContract = { book: 'strict-1-0-0', schema: { type: 'object', required: ['ticket'] }, inputs: [] };
const typed: PayloadContract = { book: 'typed-1-0-0', schema: { type: 'object', properties: { ticket: { type: 'string' } } }, inputs: [] };
const broken: PayloadContract = { book: 'broken-1-0-0', schema: { type: 'strnig' }, inputs: [] };

describe('screenPayload', () => {
  const [open, a, b, c] = ['open', 'a', 'b', 'c'].map(subscriber) as [VerifiedSubscriber, VerifiedSubscriber, VerifiedSubscriber, VerifiedSubscriber];
  const contracts: Record<string, PayloadContract> = { [a.instanceId]: strict, [b.instanceId]: typed, [c.instanceId]: broken };
  const contractOf = (s: VerifiedSubscriber) => contracts[s.instanceId];

  it('accepts for subscribers without a contract and those whose contract the payload meets, refuses for the rest', () => {
    const screening = screenPayload({ payload: Buffer.from('{"ticket":1}'), subscribers: [open, a, b], contractOf, validator: createPayloadValidator({ maxSchemas: 10 }) });
    expect(screening.accepted).toEqual([open, a]);
    expect(screening.refused).toEqual([{ subscriber: b, book: 'typed-1-0-0', violations: [{ field: '/ticket', description: 'must be string' }] }]);
    expect(screening.unchecked).toEqual([]);
  });

  it('sets apart the subscribers whose book\u2019s schema cannot be used', () => {
    const screening = screenPayload({ payload: Buffer.from('{}'), subscribers: [a, c], contractOf, validator: createPayloadValidator({ maxSchemas: 10 }) });
    expect(screening.accepted).toEqual([]);
    expect(screening.refused.map((r) => r.book)).toEqual(['strict-1-0-0']);
    expect(screening.unchecked).toEqual([{ subscriber: c, book: 'broken-1-0-0', reason: expect.stringContaining('schema is invalid') as unknown }]);
  });

  it('does not parse or check a payload no subscriber has a contract for', () => {
    const validator: PayloadValidator = {
      check: () => {
        throw new Error('checked');
      },
      size: 0,
      compilations: 0,
    };
    expect(screenPayload({ payload: Buffer.from('not json'), subscribers: [open], contractOf, validator }).accepted).toEqual([open]);
  });
});

describe('distinctViolations', () => {
  it('lists each violation once, in order', () => {
    const missing = { field: '/ticket', description: "must have required property 'ticket'" };
    const typedWrong = { field: '/ticket', description: 'must be string' };
    expect(
      distinctViolations([
        { subscriber: subscriber('a'), book: 'a', violations: [missing, typedWrong] },
        { subscriber: subscriber('b'), book: 'b', violations: [{ ...missing }] },
      ]),
    ).toEqual([missing, typedWrong]);
  });
});
