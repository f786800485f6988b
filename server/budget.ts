/**
 * Process-wide budgets (docs/relay.md "Budgets"), so that many sockets that each stay inside
 * their own limits cannot together slow down everyone else.
 *
 * Input: GLOBAL_BYTES_PER_SECOND of client frames, shared. When the shared bucket runs dry,
 * sockets that sent more than LIGHT_SOCKET_BYTES_PER_SECOND in the current second stop being
 * read (TCP backpressure then holds their data in the kernel and, beyond, at the sender), and are
 * resumed in arrival order as the bucket refills. Light sockets — signaling, chat, mailbox — are
 * charged but never paused, so their frames are handled at once while heavy ones wait. (Pausing
 * them too once the debt grew large was tried: an honest socket then queued behind hundreds of
 * paused heavy ones, and its round trip grew from ~10 ms to seconds.) What light sockets can
 * send together is bounded by MAX_CONNECTIONS × LIGHT_SOCKET_BYTES_PER_SECOND, and per client
 * address by MAX_CONNECTIONS_PER_IP × the same (docs/relay.md "Budgets").
 *
 * Output: MAX_BUFFERED_BYTES_TOTAL of unsent frames over all sockets. Each frame handed to a
 * socket is counted until ws reports it written; over the total, the socket with the largest
 * backlog is dropped (it is the one not reading) until the total is under the cap again.
 */

/** What the budgets need of a socket. */
export interface Metered {
  /** Bytes received in the current one-second window, and when that window started. */
  inBytes: number;
  inWindow: number;
  /** Bytes handed to the socket and not yet written out. */
  outBytes: number;
  /** Set once the socket's backlog is no longer counted (it was dropped). */
  outForgotten: boolean;
}

export class InputBudget<C extends Metered> {
  #tokens: number;
  #last: number;
  readonly #paused = new Set<C>();
  #timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly bytesPerSecond: number,
    private readonly lightBytesPerSecond: number,
    /** Largest frame: resuming one socket may let this much in at once. */
    private readonly frameBytes: number,
    private readonly pause: (c: C) => void,
    private readonly resume: (c: C) => void,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.#tokens = bytesPerSecond;
    this.#last = now();
  }

  /** Charges a frame of `n` bytes read from `c`; pauses `c` when the budget says so. */
  charge(c: C, n: number): void {
    const now = this.now();
    if (now - c.inWindow >= 1000) {
      c.inWindow = now;
      c.inBytes = 0;
    }
    c.inBytes += n;
    this.#refill(now);
    // The debt is bounded too, so that a burst long ago does not keep heavy sockets paused for long.
    this.#tokens = Math.max(-this.bytesPerSecond, this.#tokens - n);
    if (this.#tokens >= 0 || c.inBytes <= this.lightBytesPerSecond || this.#paused.has(c)) return;
    this.#paused.add(c);
    this.pause(c);
    this.#timer ??= setInterval(() => this.#tick(), 20);
  }

  /** Forgets a closed socket. */
  remove(c: C): void {
    this.#paused.delete(c);
  }

  get pausedCount(): number {
    return this.#paused.size;
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#paused.clear();
  }

  #refill(now: number): void {
    this.#tokens = Math.min(this.bytesPerSecond, this.#tokens + ((now - this.#last) / 1000) * this.bytesPerSecond);
    this.#last = now;
  }

  /** Resumes as many paused sockets as the refilled budget can take a full frame from. */
  #tick(): void {
    this.#refill(this.now());
    let room = Math.floor(this.#tokens / this.frameBytes);
    for (const c of this.#paused) {
      if (room <= 0) break;
      room--;
      this.#paused.delete(c);
      this.resume(c);
    }
    if (this.#paused.size === 0 && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = null;
    }
  }
}

export class OutputBudget<C extends Metered> {
  #total = 0;

  constructor(private readonly maxTotal: number) {}

  get total(): number {
    return this.#total;
  }

  /**
   * Counts `n` bytes handed to `c`; returns the callback to run once ws wrote them. When the
   * total is over the cap afterwards, `overflow` is called with the socket to drop.
   */
  add(c: C, n: number, all: Iterable<C>, overflow: (victim: C) => void): (err?: Error) => void {
    c.outBytes += n;
    this.#total += n;
    let settled = false;
    const done = (): void => {
      if (settled || c.outForgotten) return;
      settled = true;
      c.outBytes -= n;
      this.#total -= n;
    };
    while (this.#total > this.maxTotal) {
      const victim = largest(all);
      if (!victim || victim.outBytes === 0) break;
      this.forget(victim);
      overflow(victim);
    }
    return done;
  }

  /** Stops counting a dropped socket's backlog (its write callbacks may never come). */
  forget(c: C): void {
    if (c.outForgotten) return;
    c.outForgotten = true;
    this.#total -= c.outBytes;
    c.outBytes = 0;
  }
}

function largest<C extends Metered>(all: Iterable<C>): C | null {
  let best: C | null = null;
  for (const c of all) if (!best || c.outBytes > best.outBytes) best = c;
  return best;
}
