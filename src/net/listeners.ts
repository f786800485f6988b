/**
 * The two listener shapes every link layer repeats (DataPeer, FramedLink, FileKeyLink): a stream
 * of items whose early arrivals wait for the first listener, and an event that happens once, which
 * a listener added afterwards still hears (docs/net.md "SecureLink", "Data peer").
 * @module
 */

/**
 * Listeners of a stream of items. Items emitted while nobody listens are kept, in order, and handed
 * to the first listener when it is added, so nothing that arrives between opening a link and wiring
 * it up is lost.
 */
export class BufferedListeners<T> {
  readonly #cbs = new Set<(item: T) => void>();
  readonly #early: T[] = [];
  readonly #onListenerError: ((e: unknown) => void) | undefined;

  /**
   * @param onListenerError when given, a listener that throws is reported here and the others
   *   still run; without it the exception goes to the caller of {@link emit}.
   */
  constructor(onListenerError?: (e: unknown) => void) {
    this.#onListenerError = onListenerError;
  }

  /** Adds `cb`; the first listener gets every item kept so far. Returns its removal. */
  add(cb: (item: T) => void): () => void {
    if (typeof cb !== 'function') throw new TypeError('BufferedListeners.add: cb must be a function');
    this.#cbs.add(cb);
    if (this.#cbs.size === 1) for (const item of this.#early.splice(0)) this.#call(cb, item);
    return () => {
      this.#cbs.delete(cb);
    };
  }

  /** Hands `item` to every listener, or keeps it for the first one. */
  emit(item: T): void {
    if (this.#cbs.size === 0) {
      this.#early.push(item);
      return;
    }
    for (const cb of [...this.#cbs]) this.#call(cb, item);
  }

  /** Drops the kept items (the link closed: nobody will read them). */
  dropEarly(): void {
    this.#early.length = 0;
  }

  #call(cb: (item: T) => void, item: T): void {
    if (!this.#onListenerError) return cb(item);
    try {
      cb(item);
    } catch (e) {
      this.#onListenerError(e);
    }
  }
}

/** Listeners of an event that happens at most once (a close): a listener added after it hears it on a microtask. */
export class OnceListeners<T> {
  readonly #cbs = new Set<(value: T) => void>();
  #fired: { value: T } | null = null;

  /** Whether the event happened. */
  get fired(): boolean {
    return this.#fired !== null;
  }

  /** Adds `cb`, called once with the event's value. Returns its removal. */
  add(cb: (value: T) => void): () => void {
    if (typeof cb !== 'function') throw new TypeError('OnceListeners.add: cb must be a function');
    const f = this.#fired;
    if (f) {
      queueMicrotask(() => cb(f.value));
      return () => {};
    }
    this.#cbs.add(cb);
    return () => {
      this.#cbs.delete(cb);
    };
  }

  /** Makes the event happen with `value`: each listener once, then none is kept. False if it already happened. */
  fire(value: T): boolean {
    if (this.#fired) return false;
    this.#fired = { value };
    const cbs = [...this.#cbs];
    this.#cbs.clear();
    for (const cb of cbs) cb(value);
    return true;
  }
}
