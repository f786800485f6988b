/**
 * A token bucket with the caller's clock: what bounds how fast a contact can make this browser
 * store things (new file offers, chat records; docs/security.md "What a malicious contact can
 * do"). Pure: `now` (ms) is passed in, nothing is read from a clock here.
 * @module
 */

/** A budget: `capacity` units at once (the burst), refilled at `perSecond` units a second. */
export interface RateSpec {
  readonly capacity: number;
  readonly perSecond: number;
}

/** A token bucket that starts full. */
export class TokenBucket {
  #tokens: number;
  #at: number;

  constructor(
    readonly spec: RateSpec,
    now: number,
  ) {
    if (!(spec.capacity > 0) || !Number.isFinite(spec.capacity))
      throw new RangeError(`TokenBucket spec.capacity: expected a positive number, got ${spec.capacity}`);
    if (!(spec.perSecond >= 0) || !Number.isFinite(spec.perSecond))
      throw new RangeError(`TokenBucket spec.perSecond: expected a number ≥ 0, got ${spec.perSecond}`);
    if (!Number.isFinite(now)) throw new RangeError(`TokenBucket now: expected a time in ms, got ${now}`);
    this.#tokens = spec.capacity;
    this.#at = now;
  }

  /** Units available at `now` (a clock that went back refills nothing). */
  available(now: number): number {
    const elapsed = Math.max(0, now - this.#at);
    this.#tokens = Math.min(this.spec.capacity, this.#tokens + (elapsed / 1000) * this.spec.perSecond);
    this.#at = Math.max(this.#at, now);
    return this.#tokens;
  }

  /** Takes `cost` units if that many are available at `now`; otherwise takes nothing. */
  take(now: number, cost = 1): boolean {
    if (!(cost >= 0) || !Number.isFinite(cost))
      throw new RangeError(`TokenBucket.take cost: expected a number ≥ 0, got ${cost}`);
    if (this.available(now) < cost) return false;
    this.#tokens -= cost;
    return true;
  }

  /** Milliseconds from `now` until `cost` units are available (0 if they are; Infinity if never). */
  waitMs(now: number, cost = 1): number {
    const missing = cost - this.available(now);
    if (missing <= 0) return 0;
    if (cost > this.spec.capacity || this.spec.perSecond === 0) return Infinity;
    return Math.ceil((missing / this.spec.perSecond) * 1000);
  }
}
