// Which webhooks BDK accepted (a 2xx answer names its webhook_id) against which reached the book (the book
// endpoint counts X-BDK-Webhook-Id): every accepted webhook must arrive, once.
import { setTimeout as sleep } from 'node:timers/promises';
import { readReceipts } from './book-endpoint.js';
import type { HttpAnswer } from './http-poster.js';

export interface DeliveryCount {
  accepted: number;
  /** Accepted webhooks the book received. */
  delivered: number;
  /** Accepted webhooks the book never received. */
  undelivered: number;
  /** Triggers the book received again for a webhook id it already had. */
  duplicates: number;
  /** Webhooks the book received that were never answered 2xx (the sender saw a timeout or an error). */
  deliveredWithoutAcceptance: number;
  /** 2xx answers whose body named no webhook_id. */
  acceptedWithoutId: number;
  /** How long the wait for the last deliveries took. */
  waitedMs: number;
}

export class DeliveryLedger {
  private readonly accepted = new Set<string>();
  private withoutId = 0;

  /** Records the webhook a 2xx answer accepted. */
  readonly record = (answer: HttpAnswer): void => {
    if (answer.status < 200 || answer.status >= 300) return;
    let id: unknown;
    try {
      id = (JSON.parse(answer.body) as { webhook_id?: unknown }).webhook_id;
    } catch {
      id = undefined;
    }
    if (typeof id === 'string' && id !== '') this.accepted.add(id);
    else this.withoutId += 1;
  };

  get acceptedCount(): number {
    return this.accepted.size;
  }

  /**
   * Waits up to `timeoutMs` for the book on `bookPort` to have received every accepted webhook, then counts
   * against what it received.
   */
  async settle(bookPort: number, timeoutMs: number): Promise<DeliveryCount> {
    const started = Date.now();
    for (;;) {
      const { unique } = await readReceipts(bookPort);
      const count = unique >= this.accepted.size || Date.now() - started >= timeoutMs ? await this.count(bookPort, started) : undefined;
      if (count && (count.undelivered === 0 || Date.now() - started >= timeoutMs)) return count;
      await sleep(500);
    }
  }

  private async count(bookPort: number, started: number): Promise<DeliveryCount> {
    const receipts = await readReceipts(bookPort, true);
    const received = new Set(receipts.ids ?? []);
    let delivered = 0;
    for (const id of this.accepted) if (received.has(id)) delivered += 1;
    return {
      accepted: this.accepted.size,
      delivered,
      undelivered: this.accepted.size - delivered,
      duplicates: receipts.duplicates,
      deliveredWithoutAcceptance: received.size - delivered,
      acceptedWithoutId: this.withoutId,
      waitedMs: Date.now() - started,
    };
  }
}
