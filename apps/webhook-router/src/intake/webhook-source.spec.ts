import { describe, expect, it } from '@jest/globals';
import { sourceProblem } from './webhook-source.js';

describe('sourceProblem', () => {
  it.each(['github', 'zendesk', 'my-crm', 'a', 'x1', 'a'.repeat(63)])('accepts %s', (source) => {
    expect(sourceProblem(source)).toBeUndefined();
  });

  it.each([
    ['', 'must not be empty'],
    ['GitHub', 'must be a DNS label'],
    ['my_crm', 'must be a DNS label'],
    ['-github', 'must be a DNS label'],
    ['github-', 'must be a DNS label'],
    ['git.hub', 'must be a DNS label'],
    ['a'.repeat(64), 'must be at most 63 characters'],
  ])('rejects "%s": %s', (source, problem) => {
    expect(sourceProblem(source)).toContain(problem);
  });
});
