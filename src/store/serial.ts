/** Per-key operation queues for the session stores (one operation at a time per contact). @module */
export class SerialQueues {
  private readonly queues = new Map<string, Promise<unknown>>();

  /** Runs `op` after every earlier operation on `key` has settled. */
  run<T>(key: string, op: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(key) ?? Promise.resolve();
    const next = prev.then(op, op);
    const tail = next.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(key, tail);
    void tail.then(() => {
      if (this.queues.get(key) === tail) this.queues.delete(key);
    });
    return next;
  }
}
