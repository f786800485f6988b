/**
 * The relay lets one socket listen in a bounded number of rooms (MAX_ROOMS_PER_SOCKET, 128 by
 * default) and closes a socket that asks for more; it also closes a socket that sends more than 50
 * frames a second (burst 100). Every link attempt holds a room (a contact near midnight holds
 * two), so with many offline contacts and group members the app would trip either limit. This
 * budget hands out rooms first come, first served, at most {@link ROOM_BUDGET} at once and at most
 * {@link ROOM_RATE} a second: attempts beyond it wait their turn, and since every attempt ends (it
 * times out after 30 s), every contact and member gets its turn (docs/app.md "Room budget",
 * docs/groups.md §12).
 * @module
 */
import { TokenBucket, type RateSpec } from '../core/rate-budget';

/**
 * Rooms the app's background attempts hold at once, over all its relay sockets: 2 for each of 49
 * other members of a 50-member group, plus 14 for invites and introductions; under the relay's 128
 * per socket, so no socket can pass it (docs/groups.md §12).
 */
export const ROOM_BUDGET = 112;
/**
 * How fast rooms are handed out: a burst of 32, then 8 a second. A room costs a `subscribe` and
 * later an `unsubscribe` frame, and a meeting a few more; this keeps a start with a hundred
 * members to meet well inside the relay's 50 frames a second (burst 100) per socket.
 */
export const ROOM_RATE: RateSpec = { capacity: 32, perSecond: 8 };

/** Rooms handed out under a size and, optionally, a rate. */
export class RoomBudget {
  private used = 0;
  private readonly queue: { n: number; resolve: () => void; signal?: AbortSignal }[] = [];
  private readonly rate: TokenBucket | null;
  private readonly now: () => number;
  private timer: ReturnType<typeof setTimeout> | null = null;

  /** `o.rate`: rooms handed out per second (a token bucket); `o.now`: the clock (tests). */
  constructor(
    readonly size: number,
    o: { rate?: RateSpec; now?: () => number } = {},
  ) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError('RoomBudget: size must be a positive integer');
    this.now = o.now ?? Date.now;
    this.rate = o.rate ? new TokenBucket(o.rate, this.now()) : null;
  }

  get inUse(): number {
    return this.used;
  }
  get waiting(): number {
    return this.queue.length;
  }

  /**
   * Waits for `n` rooms; resolves with a release function (idempotent), or with null when
   * `signal` aborts first.
   */
  acquire(n: number, signal?: AbortSignal): Promise<(() => void) | null> {
    if (!Number.isInteger(n) || n < 1 || n > this.size)
      throw new RangeError(`RoomBudget.acquire: n must be 1..${this.size}`);
    if (signal?.aborted) return Promise.resolve(null);
    return new Promise((resolve) => {
      const entry = {
        n,
        signal,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          this.used += n;
          let released = false;
          resolve(() => {
            if (!released) {
              released = true;
              this.used -= n;
              this.pump();
            }
          });
        },
      };
      const onAbort = () => {
        const i = this.queue.indexOf(entry);
        if (i >= 0) {
          this.queue.splice(i, 1);
          resolve(null);
          this.pump();
        }
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(entry);
      this.pump();
    });
  }

  private pump(): void {
    // Strict FIFO: the head waits until it fits, so a large request is not starved by small ones.
    while (this.queue.length && this.used + this.queue[0]!.n <= this.size) {
      const n = this.queue[0]!.n;
      if (this.rate && !this.rate.take(this.now(), Math.min(n, this.rate.spec.capacity))) {
        this.later(this.rate.waitMs(this.now(), Math.min(n, this.rate.spec.capacity)));
        return;
      }
      this.queue.shift()!.resolve();
    }
  }

  /** Pumps again once the rate allows the head (one timer at a time). */
  private later(ms: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.pump();
    }, ms);
  }
}
