/**
 * The token bucket behind the per-socket message rate, the per-address rates (client-ip.ts) and
 * the mailbox put quota. (Sizes are enforced by ws's maxPayload and a length check in
 * connections.ts; rooms and peers by rooms.ts/hub.ts; global budgets by budget.ts.)
 */

/** Classic token bucket: `rate` tokens per second, at most `burst` saved up. Time is passed in. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now: number,
  ) {
    if (!(rate > 0)) throw new RangeError(`TokenBucket: rate must be > 0, got ${rate}`);
    if (!(burst >= 1)) throw new RangeError(`TokenBucket: burst must be ≥ 1, got ${burst}`);
    this.tokens = burst;
    this.last = now;
  }

  /** Spends `n` tokens (default one); false, spending none, when fewer are left (over the rate). */
  take(now: number, n = 1): boolean {
    this.refill(now);
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }

  /** True when the bucket has been refilling long enough to be full again (nothing to remember). */
  isFull(now: number): boolean {
    this.refill(now);
    return this.tokens >= this.burst;
  }

  private refill(now: number): void {
    const elapsed = Math.max(0, now - this.last) / 1000;
    this.last = Math.max(this.last, now);
    this.tokens = Math.min(this.burst, this.tokens + elapsed * this.rate);
  }
}
