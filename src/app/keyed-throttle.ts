/**
 * Per-key throttling of a costly refresh (docs/files.md §16): `soon(key)` runs it now when the
 * key's last run is `periodMs` old, else once when it will be; `now(key)` runs it at once and
 * drops the pending one. Used for re-rendering a contact's transfers on progress alone.
 * @module
 */

/** The clock and timers a {@link KeyedThrottle} uses (injectable for tests). */
export interface ThrottleClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: ThrottleClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export class KeyedThrottle {
  readonly #lastRun = new Map<string, number>();
  readonly #pending = new Map<string, unknown>();

  constructor(
    readonly periodMs: number,
    private readonly run: (key: string) => void,
    private readonly clock: ThrottleClock = realClock,
  ) {
    if (!Number.isFinite(periodMs) || periodMs < 0)
      throw new RangeError(`periodMs: expected a duration ≥ 0, got ${periodMs}`);
  }

  /** Runs for `key` now if its last run is `periodMs` old; otherwise once, `periodMs` after the last run. */
  soon(key: string): void {
    if (this.#pending.has(key)) return;
    const wait = (this.#lastRun.get(key) ?? -Infinity) + this.periodMs - this.clock.now();
    if (wait <= 0) return this.now(key);
    this.#pending.set(
      key,
      this.clock.setTimeout(() => {
        this.#pending.delete(key);
        this.now(key);
      }, wait),
    );
  }

  /** Runs for `key` at once; a pending run for it is dropped (this one shows the same state, newer). */
  now(key: string): void {
    if (this.#pending.has(key)) this.clock.clearTimeout(this.#pending.get(key));
    this.#pending.delete(key);
    this.#lastRun.set(key, this.clock.now());
    this.run(key);
  }

  /** Drops every pending run. */
  stop(): void {
    for (const h of this.#pending.values()) this.clock.clearTimeout(h);
    this.#pending.clear();
  }
}
