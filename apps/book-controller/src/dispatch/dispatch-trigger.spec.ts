import { describe, expect, it } from '@jest/globals';
import { retryableStatus, retryAfterSeconds } from './dispatch-trigger.js';

describe('retryableStatus', () => {
  it('retries server errors, timeouts and rate limits, and nothing else', () => {
    expect([500, 502, 503, 504, 408, 429].every(retryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 409, 410, 422].some(retryableStatus)).toBe(false);
  });
});

describe('retryAfterSeconds', () => {
  const now = Date.parse('2026-11-27T12:00:00Z');

  it('reads delay-seconds', () => {
    expect(retryAfterSeconds('30', now)).toBe(30);
    expect(retryAfterSeconds(' 5 ', now)).toBe(5);
  });

  it('reads an HTTP-date as the seconds until it, rounded up', () => {
    expect(retryAfterSeconds('Fri, 27 Nov 2026 12:01:00 GMT', now)).toBe(60);
  });

  it('ignores what is absent, past, zero or unreadable', () => {
    for (const value of [null, '', '0', '-5', 'soon', 'Fri, 27 Nov 2026 11:00:00 GMT']) expect(retryAfterSeconds(value, now)).toBe(0);
  });

  it('caps a wait longer than a day', () => {
    expect(retryAfterSeconds('9999999', now)).toBe(86_400);
  });
});
