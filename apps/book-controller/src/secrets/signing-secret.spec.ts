import { describe, expect, it } from '@jest/globals';
import {
  parseSigningEntry,
  previousExpiry,
  rotateSigningEntry,
  serializeSigningEntry,
  signingKey,
  validSource,
  verifyingSecrets,
} from './signing-secret.js';

const t0 = new Date('2026-03-01T12:00:00.000Z');
const later = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

describe('the signing Secret entry', () => {
  it('is JSON with current, previous and previousExpiresAt, and reads back the same', () => {
    const entry = { current: 'new', previous: 'old', previousExpiresAt: '2026-03-01T13:00:00.000Z' };
    const raw = serializeSigningEntry(entry);
    expect(JSON.parse(raw)).toEqual(entry);
    expect(parseSigningEntry(raw)).toEqual(entry);
    expect(serializeSigningEntry({ current: 'only' })).toBe('{"current":"only"}');
  });

  it.each([undefined, '', 'not json', '"a string"', '{}', '{"current":""}', '{"current":7}', 'null'])('reads %j as no entry', (raw) => {
    expect(parseSigningEntry(raw)).toBeUndefined();
  });

  it('drops a previous secret without a readable expiry rather than trusting it forever', () => {
    expect(parseSigningEntry('{"current":"a","previous":"b"}')).toEqual({ current: 'a' });
    expect(parseSigningEntry('{"current":"a","previous":"b","previousExpiresAt":"soon"}')).toEqual({ current: 'a' });
  });
});

describe('rotateSigningEntry', () => {
  it('makes the first secret current with no previous', () => {
    expect(rotateSigningEntry(undefined, 's1', 3600, t0)).toEqual({ current: 's1' });
  });

  it('keeps the replaced secret as previous for the window', () => {
    expect(rotateSigningEntry({ current: 's1' }, 's2', 3600, t0)).toEqual({ current: 's2', previous: 's1', previousExpiresAt: '2026-03-01T13:00:00.000Z' });
  });

  it('lets the replaced secret go at once with a window of 0, dropping an older previous too', () => {
    expect(rotateSigningEntry({ current: 's2', previous: 's1', previousExpiresAt: later(60).toISOString() }, 's3', 0, t0)).toEqual({ current: 's3' });
  });

  it('changes nothing when the new secret is already current (a retried call)', () => {
    const entry = { current: 's2', previous: 's1', previousExpiresAt: later(60).toISOString() };
    expect(rotateSigningEntry(entry, 's2', 3600, later(30))).toBe(entry);
  });
});

describe('verifyingSecrets', () => {
  const entry = { current: 's2', previous: 's1', previousExpiresAt: later(2).toISOString() };

  it('is current then previous inside the window, and current alone after it', () => {
    expect(verifyingSecrets(entry, later(1))).toEqual(['s2', 's1']);
    expect(verifyingSecrets(entry, later(2))).toEqual(['s2']);
    expect(verifyingSecrets({ current: 's2' }, t0)).toEqual(['s2']);
    expect(previousExpiry(entry, later(1))?.toISOString()).toBe(later(2).toISOString());
    expect(previousExpiry(entry, later(3))).toBeUndefined();
  });
});

describe('source names', () => {
  it('are DNS labels, one key per source whatever its case', () => {
    expect(signingKey('Zendesk')).toBe('zendesk');
    expect(validSource('zendesk')).toBe(true);
    expect(validSource('GitHub')).toBe(true);
    expect(validSource('standard-webhooks')).toBe(true);
    for (const bad of ['', '-x', 'a/b', 'a.b', 'x'.repeat(64)]) expect(validSource(bad)).toBe(false);
  });
});
