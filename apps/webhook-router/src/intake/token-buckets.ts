// Per-key token buckets (per source, per organisation): a steady rate with a burst on top, answering how long to
// wait when empty. The map is bounded: a full bucket holds no information, so buckets that refilled are dropped
// first, and the keys a stranger can invent (sources in the path) cannot grow memory without limit.
export interface BucketLimit {
  /** Tokens per second; 0 means unlimited. */
  ratePerSecond: number;
  /** Bucket size. */
  burst: number;
}

export type Take = { ok: true } | { ok: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  updatedMs: number;
}

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly limit: BucketLimit,
    private readonly maxKeys = 10_000,
  ) {}

  get unlimited(): boolean {
    return this.limit.ratePerSecond <= 0;
  }

  take(key: string, nowMs = performance.now()): Take {
    if (this.unlimited) return { ok: true };
    const { ratePerSecond, burst } = this.limit;
    let bucket = this.buckets.get(key);
    if (bucket) {
      bucket.tokens = Math.min(burst, bucket.tokens + ((nowMs - bucket.updatedMs) / 1_000) * ratePerSecond);
      bucket.updatedMs = nowMs;
    } else {
      if (this.buckets.size >= this.maxKeys) this.evict(nowMs);
      bucket = { tokens: burst, updatedMs: nowMs };
      this.buckets.set(key, bucket);
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / ratePerSecond)) };
  }

  /** Drops buckets that have refilled; if none has, the least recently used half. */
  private evict(nowMs: number): void {
    const { ratePerSecond, burst } = this.limit;
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + ((nowMs - bucket.updatedMs) / 1_000) * ratePerSecond >= burst) this.buckets.delete(key);
    }
    if (this.buckets.size < this.maxKeys) return;
    const oldest = [...this.buckets.entries()].sort((a, b) => a[1].updatedMs - b[1].updatedMs);
    for (const [key] of oldest.slice(0, Math.ceil(oldest.length / 2))) this.buckets.delete(key);
  }
}
