// A token bucket (golang.org/x/time/rate's Reserve, which client-go's BucketRateLimiter uses): `burst` tokens at
// most, refilled at `ratePerSecond`. Taking a token never fails: when none is left the caller borrows one from the
// future and is told how long to wait, so a burst of retries is spread out at the rate instead of refused.

export class TokenBucket {
  private tokens: number;
  private last: number;

  /** `now` in milliseconds, monotonic; performance.now() unless a test drives the clock. */
  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(ratePerSecond > 0) || !Number.isInteger(burst) || burst < 1) {
      throw new RangeError(`a token bucket needs a rate above 0 and a burst of at least 1, got ${ratePerSecond}/s burst ${burst}`);
    }
    this.tokens = burst;
    this.last = now();
  }

  /** Takes one token; the milliseconds until it may be used (0 while the bucket holds tokens). */
  reserve(): number {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.ratePerSecond) / 1000);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.ratePerSecond) * 1000;
  }
}
