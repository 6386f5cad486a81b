// The project runs on the Node it pins (node_modules/.bin/node, from the `node` npm package), never on
// whatever node the machine has.
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { workspaceRoot } from '@bdk/testing';

describe('the pinned Node', () => {
  it('is the version package.json pins, and the one running this test', () => {
    const pkg = JSON.parse(readFileSync(path.join(workspaceRoot, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    const pinned = pkg.devDependencies['node'];
    expect(pinned).toMatch(/^24\.\d+\.\d+$/);
    expect(process.version).toBe(`v${pinned}`);
  });
});
