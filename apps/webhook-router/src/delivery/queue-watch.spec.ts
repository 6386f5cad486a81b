import { describe, expect, it } from '@jest/globals';
import type { DeliveryStore, QueueStats } from '@bdk/delivery-store';
import { createLogger } from '@bdk/service-runtime';
import { watchQueue } from './queue-watch.js';

/** A store whose queue the test sets, and whose reading can be held half-way, as a slow scan would be. */
function storeWith() {
  const state = { pending: 0, hold: undefined as Promise<void> | undefined, reads: 0 };
  const store = {
    async stats(): Promise<QueueStats> {
      state.reads += 1;
      const pending = state.pending;
      await state.hold;
      return { pending, deadLettered: 0, pendingByInstance: {} };
    },
    purge: async () => 0,
  } as unknown as DeliveryStore;
  return { state, store };
}

const quiet = createLogger('test', { write: () => undefined });
const metrics = { attempted: () => undefined, queue: () => undefined };

function watch(store: DeliveryStore) {
  return watchQueue({ store, metrics, logger: quiet, refreshMs: 60_000, retentionMs: 60_000, purgeEveryMs: 60_000 });
}

describe('watchQueue', () => {
  it('counts the store\u2019s reading plus what was accepted since', async () => {
    const { state, store } = storeWith();
    const queue = watch(store);
    await queue.refresh(); // the reading it starts with
    state.pending = 5;
    await queue.refresh();
    expect(queue.depth()).toBe(5);
    queue.accepted(2);
    expect(queue.depth()).toBe(7);
    state.pending = 7;
    await queue.refresh();
    expect(queue.depth()).toBe(7);
    queue.stop();
  });

  it('never undercounts an accept that lands during a reading, and settles it with one more reading', async () => {
    const { state, store } = storeWith();
    const queue = watch(store);
    await queue.refresh();
    let release: () => void = () => undefined;
    state.hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    state.pending = 0; // this reading started before the accept below
    const reading = queue.refresh();
    queue.accepted(1);
    expect(queue.depth()).toBe(1);
    state.pending = 1; // the second reading sees it
    const readsBefore = state.reads;
    release();
    state.hold = undefined;
    await reading;
    expect(state.reads).toBe(readsBefore + 1);
    expect(queue.depth()).toBe(1);
    queue.stop();
  });
});
