// Reads every live key of a KV bucket under a key filter, page by page, with JetStream's batched direct get: no
// consumer is made for it, and a bucket that keeps one revision per key holds exactly its live values. A value
// rewritten during the scan moves to a higher sequence and may be seen twice; the caller keeps the newest.
import { JetStreamError, type JetStreamManager, type StoredMsg } from '@nats-io/jetstream';

export interface ScannedEntry {
  key: string;
  /** The KV revision: the value's stream sequence. */
  revision: number;
  value: Uint8Array;
}

const pageSize = 256;

export async function scanBucket(jsm: JetStreamManager, bucket: string, keyFilter: string): Promise<ScannedEntry[]> {
  const prefix = `$KV.${bucket}.`;
  const newest = new Map<string, ScannedEntry>();
  for (let seq = 1; ; ) {
    const page = await jsm.direct.getBatch(`KV_${bucket}`, { seq, batch: pageSize, next_by_subj: `${prefix}${keyFilter}` });
    let count = 0;
    for await (const message of untilNotFound(page)) {
      count += 1;
      seq = message.seq + 1;
      const operation = message.header?.get('KV-Operation');
      if (operation === 'DEL' || operation === 'PURGE' || message.header?.get('Nats-Marker-Reason')) continue;
      const key = message.subject.slice(prefix.length);
      const seen = newest.get(key);
      if (!seen || seen.revision < message.seq) newest.set(key, { key, revision: message.seq, value: message.data });
    }
    if (count < pageSize) return [...newest.values()];
  }
}

/** The live value of the one key matching a filter with a wildcard (`*.<id>`), or undefined. */
export async function findKey(jsm: JetStreamManager, bucket: string, keyFilter: string): Promise<ScannedEntry | undefined> {
  const prefix = `$KV.${bucket}.`;
  const found = await jsm.direct.getLastMessagesFor(`KV_${bucket}`, { multi_last: [`${prefix}${keyFilter}`], batch: 2 });
  let result: ScannedEntry | undefined;
  for await (const message of untilNotFound(found)) {
    const operation = message.header?.get('KV-Operation');
    if (operation === 'DEL' || operation === 'PURGE' || message.header?.get('Nats-Marker-Reason')) continue;
    result = { key: message.subject.slice(prefix.length), revision: message.seq, value: message.data };
  }
  return result;
}

/**
 * The messages of one direct get. The server answers 404 when nothing at all matches (an organisation with no
 * deliveries, or a page that starts past the last match), which the client raises as an error: here it is the
 * end of the read.
 */
async function* untilNotFound(messages: AsyncIterable<StoredMsg>): AsyncGenerator<StoredMsg> {
  try {
    for await (const message of messages) yield message;
  } catch (error) {
    if (error instanceof JetStreamError && (error as { code?: unknown }).code === 404) return;
    throw error;
  }
}
