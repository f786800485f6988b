/**
 * Reference-counted Redis pub/sub channels, one per room with members on this instance
 * (hub-redis.ts). The first reference subscribes and resolves once Redis confirmed it; the last
 * release unsubscribes. Commands on one connection run in order, so a release followed at once
 * by a new acquire ends subscribed.
 */
import type { Redis } from 'ioredis';

export class RedisChannels {
  readonly #refs = new Map<string, { count: number; ready: Promise<unknown> }>();

  constructor(
    private readonly sub: Redis,
    private readonly prefix: string,
    onMessage: (room: string, message: string) => void,
  ) {
    sub.on('message', (channel: string, message: string) => {
      if (channel.startsWith(prefix)) onMessage(channel.slice(prefix.length), message);
    });
  }

  name(room: string): string {
    return this.prefix + room;
  }

  /** Subscribes (first reference) and waits until the subscription is in place. */
  async acquire(room: string): Promise<void> {
    let ref = this.#refs.get(room);
    if (!ref) {
      ref = { count: 0, ready: this.sub.subscribe(this.name(room)) };
      this.#refs.set(room, ref);
      ref.ready.catch(() => {
        if (this.#refs.get(room) === ref) this.#refs.delete(room);
      });
    }
    ref.count++;
    await ref.ready;
  }

  release(room: string): void {
    const ref = this.#refs.get(room);
    if (!ref) return;
    if (--ref.count > 0) return;
    this.#refs.delete(room);
    this.sub.unsubscribe(this.name(room)).catch(() => {});
  }

  get size(): number {
    return this.#refs.size;
  }
}
