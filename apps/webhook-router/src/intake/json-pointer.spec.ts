import { describe, expect, it } from '@jest/globals';
import { childPointer, resolvePointer } from './json-pointer.js';

const document = { ticket: { id: '12345', tags: ['a', 'b'], 'a/b': 1, 'm~n': 2, empty: null }, '': 'root-empty-key' };

describe('resolvePointer', () => {
  it.each([
    ['', document],
    ['/ticket/id', '12345'],
    ['/ticket/tags/1', 'b'],
    ['/ticket/a~1b', 1],
    ['/ticket/m~0n', 2],
    ['/ticket/empty', null],
    ['/', 'root-empty-key'],
  ])('finds %j', (pointer, value) => {
    expect(resolvePointer(document, pointer)).toEqual({ found: true, value });
  });

  it.each(['/ticket/missing', '/ticket/tags/2', '/ticket/tags/01', '/ticket/tags/-', '/ticket/id/0', 'ticket', '/ticket/constructor', '/__proto__'])(
    'finds nothing at %j',
    (pointer) => {
      expect(resolvePointer(document, pointer)).toEqual({ found: false });
    },
  );
});

describe('childPointer', () => {
  it('escapes "~" and "/" in the name, and resolves back to the property', () => {
    expect(childPointer('/ticket', 'a/b')).toBe('/ticket/a~1b');
    expect(childPointer('', 'm~n')).toBe('/m~0n');
    expect(resolvePointer(document, childPointer('/ticket', 'm~n'))).toEqual({ found: true, value: 2 });
  });
});
