import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, createClient, createRouterTransport } from '@connectrpc/connect';
import { describe, expect, it } from '@jest/globals';
import { BookControllerService, DispatchTriggerResponseSchema, type DispatchTriggersRequest } from '@bdk/proto';
import { createTriggerBatcher } from './trigger-batcher.js';

function controller(answer: (request: DispatchTriggersRequest) => unknown) {
  const calls: string[][] = [];
  const client = createClient(
    BookControllerService,
    createRouterTransport((router) =>
      router.service(BookControllerService, {
        dispatchTriggers(request) {
          calls.push(request.triggers.map((t) => t.webhookId));
          return answer(request) as never;
        },
      }),
    ),
  );
  return { client, calls };
}

const echo = (request: DispatchTriggersRequest) => ({
  responses: request.triggers.map((t) => create(DispatchTriggerResponseSchema, { results: [{ routedTo: t.webhookId, delivered: true }] })),
});
const trigger = (webhookId: string) => ({ webhookId, source: 'zendesk', targets: [{ namespace: 'bdk', name: 'i' }] });

describe('createTriggerBatcher', () => {
  it('sends the triggers of one turn in one call and hands each its own answer', async () => {
    const { client, calls } = controller(echo);
    const batcher = createTriggerBatcher({ controller: client, timeoutMs: 1_000 });
    const answers = await Promise.all(['a', 'b', 'c'].map((id) => batcher.dispatch(trigger(id))));
    expect(calls).toEqual([['a', 'b', 'c']]);
    expect(answers.map((a) => a.results[0]?.routedTo)).toEqual(['a', 'b', 'c']);
    await batcher.dispatch(trigger('d'));
    expect(calls).toEqual([['a', 'b', 'c'], ['d']]);
  });

  it('splits a turn larger than the batch size', async () => {
    const { client, calls } = controller(echo);
    const batcher = createTriggerBatcher({ controller: client, timeoutMs: 1_000, maxBatch: 2 });
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((id) => batcher.dispatch(trigger(id))));
    expect(calls).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });

  it('fails every trigger of a call that failed, or that answered for fewer triggers', async () => {
    const down = createTriggerBatcher({
      controller: controller(() => {
        throw new ConnectError('connection refused', Code.Unavailable);
      }).client,
      timeoutMs: 1_000,
    });
    const results = await Promise.allSettled([down.dispatch(trigger('a')), down.dispatch(trigger('b'))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);

    const short = createTriggerBatcher({ controller: controller(() => ({ responses: [] })).client, timeoutMs: 1_000 });
    await expect(short.dispatch(trigger('a'))).rejects.toThrow('the book controller answered 0 of 1 triggers');
  });
});
