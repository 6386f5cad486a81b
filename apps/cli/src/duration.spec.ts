import { describe, expect, it } from '@jest/globals';
import { formatDuration, parseDuration } from './duration.js';

describe('parseDuration', () => {
  it('reads Go-style durations and bare seconds', () => {
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('45')).toBe(45_000);
  });

  it('refuses anything else', () => {
    for (const text of ['', '5 minutes', 'm5', '5d', '1m-3s']) expect(() => parseDuration(text)).toThrow('not a duration');
  });
});

describe('formatDuration', () => {
  it('writes what parseDuration reads back', () => {
    for (const ms of [300_000, 5_400_000, 90_000, 1500, 0, 3_600_000]) expect(parseDuration(formatDuration(ms))).toBe(ms);
    expect(formatDuration(300_000)).toBe('5m');
    expect(formatDuration(90_000)).toBe('1m30s');
  });
});
