import { describe, expect, it } from '@jest/globals';
import type { KubernetesObject } from '@kubernetes/client-node';
import { createOwnWrites } from './own-writes.js';

const at = (resourceVersion: string, phase = ''): KubernetesObject & { phase: string } => ({ metadata: { name: 'i', resourceVersion }, phase });

describe('createOwnWrites', () => {
  it('reads the cache while the controller has written nothing', () => {
    const own = createOwnWrites();
    const cached = at('1');
    expect(own.read('bdk/i', cached)).toBe(cached);
    expect(own.read('bdk/i', undefined)).toBeUndefined();
  });

  it('reads the last write while the cache still shows what it replaced, the cache once it caught up', () => {
    const own = createOwnWrites<ReturnType<typeof at>>();
    const v1 = at('1');
    const v2 = at('2', 'finalizer');
    const v3 = at('3', 'Ready');
    own.wrote('bdk/i', v1, v2);
    own.wrote('bdk/i', v2, v3);
    // The cache has seen neither write, then only the first: both older than the controller's last.
    expect(own.read('bdk/i', at('1'))).toBe(v3);
    expect(own.read('bdk/i', at('2'))).toBe(v3);
    const caughtUp = at('3', 'Ready');
    expect(own.read('bdk/i', caughtUp)).toBe(caughtUp);
    // Dropped: a later read of an old version is the cache's (nothing kept any more).
    expect(own.read('bdk/i', v1)).toBe(v1);
  });

  it('gives way to a change someone else made after the write', () => {
    const own = createOwnWrites<ReturnType<typeof at>>();
    own.wrote('bdk/i', at('1'), at('2', 'Pending'));
    const theirs = at('7', 'spec changed');
    expect(own.read('bdk/i', theirs)).toBe(theirs);
  });

  it('keeps nothing for an object that is gone', () => {
    const own = createOwnWrites<ReturnType<typeof at>>();
    own.wrote('bdk/i', at('1'), at('2'));
    expect(own.read('bdk/i', undefined)).toBeUndefined();
    expect(own.read('bdk/i', at('1'))?.metadata?.resourceVersion).toBe('1');
  });

  it('keeps each key apart', () => {
    const own = createOwnWrites<ReturnType<typeof at>>();
    const mine = at('2', 'mine');
    own.wrote('bdk/a', at('1'), mine);
    const other = at('1', 'other');
    expect(own.read('bdk/b', other)).toBe(other);
    expect(own.read('bdk/a', at('1'))).toBe(mine);
  });
});
