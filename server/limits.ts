/**
 * Per-socket limits: the message-rate token bucket. (Sizes are enforced by ws's maxPayload and a
 * length check in protocol.ts; rooms and peers by rooms.ts; connections and send buffers by
 * relay.ts.)
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

  /** Spends one token; false when the bucket is empty (the caller is over its rate). */
  take(now: number): boolean {
    const elapsed = Math.max(0, now - this.last) / 1000;
    this.last = now;
    this.tokens = Math.min(this.burst, this.tokens + elapsed * this.rate);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
