/**
 * The relay lets one socket listen in a bounded number of rooms (MAX_ROOMS_PER_SOCKET, 32 by
 * default) and closes a socket that asks for more. Every link attempt holds a room (a contact
 * near midnight holds two), so with many offline contacts the app would trip that limit. This
 * budget hands out rooms first come, first served: attempts beyond it wait their turn, and since
 * every attempt ends (it times out after 30 s), every contact gets its turn.
 * @module
 */
export class RoomBudget {
  private used = 0;
  private readonly queue: { n: number; resolve: () => void; signal?: AbortSignal }[] = [];

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError('RoomBudget: size must be a positive integer');
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
    while (this.queue.length && this.used + this.queue[0]!.n <= this.size) this.queue.shift()!.resolve();
  }
}
