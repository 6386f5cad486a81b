import { describe, expect, it } from '@jest/globals';
import { WorkQueue } from './work-queue.js';

const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

describe('WorkQueue', () => {
  it('holds a key once however often it is added', async () => {
    const queue = new WorkQueue();
    queue.add('bdk/a');
    queue.add('bdk/b');
    queue.add('bdk/a');
    expect(queue.length).toBe(2);
    expect(await queue.get()).toBe('bdk/a');
    expect(await queue.get()).toBe('bdk/b');
  });

  it('never hands a key to two workers at once, and reprocesses it if it changed meanwhile', async () => {
    const queue = new WorkQueue();
    queue.add('bdk/a');
    const first = await queue.get();
    queue.add('bdk/a'); // an event while a worker holds the key
    expect(queue.length).toBe(0);
    let second: string | undefined;
    void queue.get().then((key) => (second = key));
    await tick();
    expect(second).toBeUndefined();
    queue.done(first ?? '');
    await tick();
    expect(second).toBe('bdk/a');
  });

  it('does not requeue a finished key that nobody marked again', async () => {
    const queue = new WorkQueue();
    queue.add('bdk/a');
    queue.done((await queue.get()) ?? '');
    expect(queue.length).toBe(0);
  });

  it('backs off exponentially per key, up to the ceiling, and forget() starts over', () => {
    const queue = new WorkQueue({ baseDelayMs: 10, maxDelayMs: 50 });
    expect([1, 2, 3, 4, 5].map(() => queue.addRateLimited('bdk/a'))).toEqual([10, 20, 40, 50, 50]);
    expect(queue.addRateLimited('bdk/b')).toBe(10);
    queue.forget('bdk/a');
    expect(queue.addRateLimited('bdk/a')).toBe(10);
    queue.shutDown();
  });

  it('adds a key after its delay, keeping the earliest of several', async () => {
    const queue = new WorkQueue();
    queue.addAfter('bdk/a', 200);
    queue.addAfter('bdk/a', 20);
    queue.addAfter('bdk/a', 100);
    expect(queue.length).toBe(0);
    await tick(60);
    expect(queue.length).toBe(1);
    await tick(200);
    expect(queue.length).toBe(1);
  });

  it('releases waiting workers with undefined on shutdown and drops delayed keys', async () => {
    const queue = new WorkQueue();
    const waiting = queue.get();
    queue.addAfter('bdk/a', 10);
    queue.shutDown();
    expect(await waiting).toBeUndefined();
    await tick(30);
    expect(queue.length).toBe(0);
    expect(await queue.get()).toBeUndefined();
  });
});
