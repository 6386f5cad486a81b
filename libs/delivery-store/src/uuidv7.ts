// UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then random bits. Webhook ids sort in arrival order, so
// the delivery log pages by id and a store's index on it is append-mostly.
import { randomFillSync } from 'node:crypto';

let lastMs = 0;
let sequence = 0;

export function uuidv7(now = Date.now()): string {
  const bytes = new Uint8Array(16);
  randomFillSync(bytes);
  // Within one millisecond a 12-bit counter (rand_a, RFC 9562 method 1) keeps ids of one process increasing.
  if (now <= lastMs) {
    sequence = (sequence + 1) & 0xfff;
    if (sequence === 0) lastMs += 1;
    now = lastMs;
  } else {
    lastMs = now;
    sequence = (bytes[7] ?? 0) & 0x3f; // a random start leaves room to count up
  }
  bytes[0] = Math.floor(now / 2 ** 40) & 0xff;
  bytes[1] = Math.floor(now / 2 ** 32) & 0xff;
  bytes[2] = (now >>> 24) & 0xff;
  bytes[3] = (now >>> 16) & 0xff;
  bytes[4] = (now >>> 8) & 0xff;
  bytes[5] = now & 0xff;
  bytes[6] = 0x70 | (sequence >>> 8);
  bytes[7] = sequence & 0xff;
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
