import { describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { WorkQueueMetrics } from './work-queue-metrics.js';
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

  it('spreads retries of many keys at the shared rate once the burst is spent', () => {
    const queue = new WorkQueue({ baseDelayMs: 1, qps: 10, burst: 2 });
    const delays = ['bdk/a', 'bdk/b', 'bdk/c', 'bdk/d'].map((key) => queue.addRateLimited(key));
    // The first two go on their own backoff (1 ms); the next wait for a token: about 100 ms, then 200 ms.
    expect(delays.slice(0, 2)).toEqual([1, 1]);
    expect(delays[2]).toBeGreaterThan(90);
    expect(delays[3]).toBeGreaterThan(190);
    queue.shutDown();
  });

  it('takes the per-key backoff when it is the longer wait', () => {
    const queue = new WorkQueue({ baseDelayMs: 500, qps: 10, burst: 1 });
    expect(queue.addRateLimited('bdk/a')).toBe(500);
    // The bucket alone would say about 100 ms; the key's second failure says 1000 ms.
    expect(queue.addRateLimited('bdk/a')).toBe(1000);
    queue.shutDown();
  });
});

async function scrape(registry: Registry): Promise<Map<string, number>> {
  const values = new Map<string, number>();
  for (const line of (await registry.metrics()).split('\n')) {
    if (line.startsWith('#') || line === '') continue;
    const space = line.lastIndexOf(' ');
    values.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return values;
}

describe('WorkQueue metrics', () => {
  it('exports client-go\u2019s workqueue metrics, labelled by queue name', async () => {
    const registry = new Registry();
    const metrics = new WorkQueueMetrics();
    metrics.register(registry);
    const queue = new WorkQueue({ name: 'books', metrics });
    queue.add('bdk/a');
    queue.add('bdk/a');
    queue.add('bdk/b');
    let values = await scrape(registry);
    expect(values.get('workqueue_adds_total{name="books"}')).toBe(2);
    expect(values.get('workqueue_depth{name="books"}')).toBe(2);
    expect(values.get('workqueue_retries_total{name="books"}')).toBe(0);

    await tick(20);
    const key = (await queue.get()) ?? '';
    await tick(30);
    values = await scrape(registry);
    expect(values.get('workqueue_depth{name="books"}')).toBe(1);
    expect(values.get('workqueue_queue_duration_seconds_count{name="books"}')).toBe(1);
    expect(values.get('workqueue_queue_duration_seconds_sum{name="books"}')).toBeGreaterThanOrEqual(0.015);
    // One key held for about 30 ms and not done yet.
    expect(values.get('workqueue_unfinished_work_seconds{name="books"}')).toBeGreaterThanOrEqual(0.025);
    expect(values.get('workqueue_longest_running_processor_seconds{name="books"}')).toBeGreaterThanOrEqual(0.025);
    expect(values.get('workqueue_work_duration_seconds_count{name="books"}')).toBe(0);

    queue.addRateLimited(key);
    queue.done(key);
    values = await scrape(registry);
    expect(values.get('workqueue_retries_total{name="books"}')).toBe(1);
    expect(values.get('workqueue_work_duration_seconds_count{name="books"}')).toBe(1);
    expect(values.get('workqueue_work_duration_seconds_sum{name="books"}')).toBeGreaterThanOrEqual(0.025);
    expect(values.get('workqueue_unfinished_work_seconds{name="books"}')).toBe(0);
    expect(values.get('workqueue_longest_running_processor_seconds{name="books"}')).toBe(0);
    queue.shutDown();
  });

  it('serves several queues from one registry, and refuses two queues of one name', async () => {
    const registry = new Registry();
    const metrics = new WorkQueueMetrics();
    metrics.register(registry);
    const first = new WorkQueue({ name: 'first', metrics });
    const second = new WorkQueue({ name: 'second', metrics });
    first.add('x');
    second.add('x');
    second.add('y');
    const values = await scrape(registry);
    expect(values.get('workqueue_depth{name="first"}')).toBe(1);
    expect(values.get('workqueue_depth{name="second"}')).toBe(2);
    expect(() => new WorkQueue({ name: 'first', metrics })).toThrow('a work queue named "first" already reports to these metrics');
    first.shutDown();
    second.shutDown();
  });
});
