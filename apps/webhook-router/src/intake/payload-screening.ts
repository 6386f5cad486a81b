// Which of a webhook's verified subscribers take its payload: each book may declare what it accepts from the
// source (a PayloadContract), and a payload is refused only for the books whose contract it violates. The payload
// is parsed once, and only when some subscriber has a contract.
import type { PayloadContract } from './payload-contract.js';
import { parsePayload, type ParsedPayload, type PayloadValidator, type Violation } from './payload-validator.js';
import type { VerifiedSubscriber } from './subscriber-verification.js';

export interface Refusal {
  subscriber: VerifiedSubscriber;
  /** The BookDefinition whose contract the payload violates. */
  book: string;
  violations: Violation[];
}

export interface Unchecked {
  subscriber: VerifiedSubscriber;
  book: string;
  /** Why the book's schema could not be compiled. */
  reason: string;
}

export interface Screening {
  /** The subscribers the payload is recorded for: no contract, or one it meets. */
  accepted: VerifiedSubscriber[];
  /** The payload violates their book's contract. */
  refused: Refusal[];
  /** Their book's contract cannot be used: the payload is neither accepted nor refused for them. */
  unchecked: Unchecked[];
}

export function screenPayload(input: {
  payload: Uint8Array;
  subscribers: readonly VerifiedSubscriber[];
  contractOf: (subscriber: VerifiedSubscriber) => PayloadContract | undefined;
  validator: PayloadValidator;
}): Screening {
  const screening: Screening = { accepted: [], refused: [], unchecked: [] };
  let parsed: ParsedPayload | undefined;
  for (const subscriber of input.subscribers) {
    const contract = input.contractOf(subscriber);
    if (!contract) {
      screening.accepted.push(subscriber);
      continue;
    }
    parsed ??= parsePayload(input.payload);
    const verdict = input.validator.check(contract, parsed);
    if (verdict.valid === true) screening.accepted.push(subscriber);
    else if (verdict.valid === false) screening.refused.push({ subscriber, book: contract.book, violations: verdict.violations });
    else screening.unchecked.push({ subscriber, book: contract.book, reason: verdict.reason });
  }
  return screening;
}

/** Every refusal's violations once each, in order, for one answer to the sender. */
export function distinctViolations(refused: readonly Refusal[]): Violation[] {
  const seen = new Set<string>();
  const violations: Violation[] = [];
  for (const { violations: ofBook } of refused) {
    for (const violation of ofBook) {
      const key = `${violation.field}\u0000${violation.description}`;
      if (seen.has(key)) continue;
      seen.add(key);
      violations.push(violation);
    }
  }
  return violations;
}
