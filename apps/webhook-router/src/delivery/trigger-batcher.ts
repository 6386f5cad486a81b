// Attempts that become due together (the webhooks of one store commit, one claim from the queue) go to the book
// controller in one DispatchTriggers call: the cost of a call (HTTP/2 stream, framing, authentication) is paid once
// per batch instead of once per webhook. Requests queued in the same turn of the event loop share a batch, so a
// lone webhook waits for nothing.
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { DispatchTriggerRequestSchema, DispatchTriggerResponse } from '@bdk/proto';
import type { ControllerClient } from '../controller-client.js';

export type TriggerRequest = MessageInitShape<typeof DispatchTriggerRequestSchema>;

export interface TriggerBatcher {
  dispatch(request: TriggerRequest): Promise<DispatchTriggerResponse>;
}

interface Waiting {
  request: TriggerRequest;
  resolve: (response: DispatchTriggerResponse) => void;
  reject: (error: unknown) => void;
}

export function createTriggerBatcher(options: { controller: ControllerClient; timeoutMs: number; maxBatch?: number }): TriggerBatcher {
  const maxBatch = options.maxBatch ?? 100;
  let waiting: Waiting[] = [];
  let scheduled = false;

  async function send(batch: Waiting[]): Promise<void> {
    try {
      const { responses } = await options.controller.dispatchTriggers({ triggers: batch.map((w) => w.request) }, { timeoutMs: options.timeoutMs });
      if (responses.length !== batch.length) throw new Error(`the book controller answered ${responses.length} of ${batch.length} triggers`);
      batch.forEach((w, i) => w.resolve(responses[i] as DispatchTriggerResponse));
    } catch (error) {
      for (const w of batch) w.reject(error);
    }
  }

  function flush(): void {
    scheduled = false;
    while (waiting.length > 0) void send(waiting.splice(0, maxBatch));
    waiting = [];
  }

  return {
    dispatch(request) {
      return new Promise((resolve, reject) => {
        waiting.push({ request, resolve, reject });
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
  };
}
