import { describe, expect, it } from '@jest/globals';
import type { RuntimeLogger } from './runtime-logger.js';
import { Controller } from './controller.js';
import { WorkQueue } from './work-queue.js';

const logger: RuntimeLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };
const waitFor = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
};

describe('Controller', () => {
  it('retries a failing key with backoff until it succeeds, then stops', async () => {
    const calls: string[] = [];
    const controller = new Controller({
      name: 'test',
      logger,
      queue: new WorkQueue({ baseDelayMs: 5 }),
      reconcile: async (key) => {
        calls.push(key);
        if (calls.length < 3) throw new Error('apiserver unavailable');
        return undefined;
      },
    });
    controller.start();
    controller.enqueue('bdk/a');
    await waitFor(() => calls.length >= 3);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await controller.stop();
    expect(calls).toEqual(['bdk/a', 'bdk/a', 'bdk/a']);
  });

  it('reconciles different keys in parallel but one key only once at a time', async () => {
    let running = 0;
    let maxRunning = 0;
    const perKey = new Map<string, number>();
    let overlapOnOneKey = false;
    const controller = new Controller({
      name: 'test',
      logger,
      workers: 3,
      reconcile: async (key) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        perKey.set(key, (perKey.get(key) ?? 0) + 1);
        if ((perKey.get(key) ?? 0) > 1) overlapOnOneKey = true;
        await new Promise((resolve) => setTimeout(resolve, 20));
        perKey.set(key, (perKey.get(key) ?? 1) - 1);
        running--;
        return undefined;
      },
    });
    controller.start();
    for (const key of ['bdk/a', 'bdk/b', 'bdk/c']) controller.enqueue(key);
    await new Promise((resolve) => setTimeout(resolve, 5));
    controller.enqueue('bdk/a'); // while bdk/a is being reconciled
    await new Promise((resolve) => setTimeout(resolve, 100));
    await controller.stop();
    expect(maxRunning).toBe(3);
    expect(overlapOnOneKey).toBe(false);
  });

  it('looks at a key again after requeueAfterMs', async () => {
    let calls = 0;
    const controller = new Controller({
      name: 'test',
      logger,
      reconcile: async () => (++calls === 1 ? { requeueAfterMs: 20 } : undefined),
    });
    controller.start();
    controller.enqueue('bdk/a');
    await waitFor(() => calls >= 2);
    await controller.stop();
    expect(calls).toBe(2);
  });

  it('waits for the reconcile under way when stopped', async () => {
    let finished = false;
    const controller = new Controller({
      name: 'test',
      logger,
      reconcile: async () => {
        await new Promise((resolve) => setTimeout(resolve, 30));
        finished = true;
        return undefined;
      },
    });
    controller.start();
    controller.enqueue('bdk/a');
    await new Promise((resolve) => setTimeout(resolve, 5));
    await controller.stop();
    expect(finished).toBe(true);
  });
});
