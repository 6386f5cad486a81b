// The work queue's consumer end: a pull that takes only what is deliverable now (no_wait), so claiming never
// blocks on an empty queue, and the acknowledgements the store answers each message with. The client library's
// fetch waits for a full batch or at least a second; claimDue has to answer at once.
import { createInbox, type Msg, type NatsConnection } from '@nats-io/transport-node';

/** One message of the work queue, delivered to this client and not yet answered. */
export interface WorkMessage {
  readonly data: Uint8Array;
  /** Done with for good: the queue forgets it. */
  ack(): void;
  /** Delivered again (to whichever replica pulls then) once `delayMs` has passed. */
  nakAfter(delayMs: number): void;
  /** Never delivered again: it cannot be read. */
  term(): void;
}

/**
 * Takes up to `batch` messages that the consumer can deliver now. Resolves with fewer, or none, as soon as the
 * server says there are no more; rejects when the server does not answer within `timeoutMs` (it is restarting,
 * or the client is reconnecting) or refuses the pull.
 */
export function pullNow(nc: NatsConnection, stream: string, consumer: string, batch: number, timeoutMs: number): Promise<WorkMessage[]> {
  return new Promise((resolve, reject) => {
    const inbox = createInbox();
    const received: WorkMessage[] = [];
    let settled = false;
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      subscription.unsubscribe();
      // Messages already received are this client's: they are handed on even when the pull ended badly.
      if (error && received.length === 0) reject(error);
      else resolve(received);
    };
    const subscription = nc.subscribe(inbox, {
      callback: (error, msg) => {
        if (error) return finish(error);
        const status = statusOf(msg);
        if (status === undefined) {
          received.push(workMessage(msg));
          if (received.length >= batch) finish();
        } else if (status.code === 404 || status.code === 408) {
          finish();
        } else if (status.code >= 300) {
          finish(new Error(`the work queue refused the pull: ${status.code} ${status.description}`));
        }
      },
    });
    const timer = setTimeout(() => finish(new Error(`the work queue did not answer a pull within ${timeoutMs} ms`)), timeoutMs);
    try {
      nc.publish(`$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer}`, JSON.stringify({ batch, no_wait: true }), { reply: inbox });
    } catch (error) {
      finish(error instanceof Error ? error : new Error(String(error)));
    }
  });
}

/** A status message (no messages, timeout, heartbeat, refusal) rather than a queued message. */
function statusOf(msg: Msg): { code: number; description: string } | undefined {
  const code = msg.headers?.code ?? 0;
  if (code === 0 || msg.data.length > 0) return undefined;
  return { code, description: msg.headers?.description ?? '' };
}

function workMessage(msg: Msg): WorkMessage {
  // Answers are fire-and-forget: one that is lost (the connection dropped) is harmless, as the message comes back
  // after the consumer's ack wait and is then judged again by its record.
  const answer = (body: string) => {
    try {
      msg.respond(body);
    } catch {
      // The connection is closed or reconnecting; see above.
    }
  };
  return {
    data: msg.data,
    ack: () => answer('+ACK'),
    nakAfter: (delayMs) => answer(`-NAK ${JSON.stringify({ delay: Math.max(1, Math.ceil(delayMs)) * 1_000_000 })}`),
    term: () => answer('+TERM'),
  };
}
