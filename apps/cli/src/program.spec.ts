import { describe, expect, it } from '@jest/globals';
import { createRootCommand } from './program.js';

describe('createRootCommand', () => {
  it('is named bdk', () => {
    expect(createRootCommand().name()).toBe('bdk');
  });
});
