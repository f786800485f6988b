/**
 * Two in-memory link ends for TransferManager tests: every message goes through encodeWire /
 * decodeWire, each direction is a bounded buffer (a send that would overflow it rejects, as a
 * full data channel would fail), delivery drains a limited number of bytes per macrotask (a
 * slow wire), `bufferedAmount` and `onDrain` behave like a data channel's, and a hook may
 * change or drop messages on their way.
 */
import { decodeWire, encodeWire, type WireMessage } from '../../src/core/wire';
import type { TransferLink } from '../../src/net/transfers';

export type Side = 'a' | 'b';
export interface PairOptions {
  /** Bytes a direction may buffer; a send beyond it rejects (default 4 MiB). */
  capacity?: number;
  /** bufferedAmount at or below which onDrain fires (default 64 KiB). */
  lowWater?: number;
  /** Bytes delivered per macrotask (default 256 KiB). */
  bytesPerTick?: number;
  /** Called with each decoded message before delivery; return null to drop it. */
  tamper?: (m: WireMessage, from: Side) => WireMessage | null;
  /** Leave out bufferedAmount/onDrain (a link that only exposes send promises). */
  bare?: boolean;
}

export class MemoryLink implements TransferLink {
  peer!: MemoryLink;
  queue: Uint8Array[] = [];
  buffered = 0;
  maxBuffered = 0;
  overflowed = false;
  closed = false;
  /** Every message this end delivered to its listeners, decoded, in order. */
  received: WireMessage[] = [];
  /** Transfer bytes queued ahead of each chat message at the moment it was sent. */
  chatQueuedBehind: number[] = [];
  readonly #msg = new Set<(m: WireMessage) => void>();
  readonly #close = new Set<(e: { clean: boolean }) => void>();
  readonly #drain = new Set<() => void>();
  #scheduled = false;

  constructor(
    readonly side: Side,
    readonly o: Required<Omit<PairOptions, 'tamper'>> & Pick<PairOptions, 'tamper'>,
  ) {
    if (o.bare) {
      Object.defineProperty(this, 'bufferedAmount', { value: undefined });
      Object.defineProperty(this, 'onDrain', { value: undefined });
    }
  }

  get bufferedAmount(): number {
    return this.buffered;
  }

  async send(m: WireMessage): Promise<void> {
    if (this.closed) throw new Error('MemoryLink.send: closed');
    const bytes = encodeWire(m);
    if (m.type === 'chat') this.chatQueuedBehind.push(this.buffered);
    // Like SecureLink.send: above half the capacity, wait for the buffer to drain before queueing.
    if (this.o.bare && this.buffered > this.o.capacity / 2)
      await new Promise<void>((resolve) => {
        const off = this.#onDrainInternal(() => {
          off();
          resolve();
        });
      });
    if (this.closed) throw new Error('MemoryLink.send: closed');
    if (this.buffered + bytes.length > this.o.capacity) {
      this.overflowed = true;
      throw new Error(`MemoryLink.send: buffer full (${this.buffered} + ${bytes.length} > ${this.o.capacity})`);
    }
    this.queue.push(bytes);
    this.buffered += bytes.length;
    this.maxBuffered = Math.max(this.maxBuffered, this.buffered);
    this.#schedule();
  }

  onMessage(cb: (m: WireMessage) => void): () => void {
    this.#msg.add(cb);
    return () => {
      this.#msg.delete(cb);
    };
  }
  onClose(cb: (e: { clean: boolean }) => void): () => void {
    this.#close.add(cb);
    return () => {
      this.#close.delete(cb);
    };
  }
  onDrain(cb: () => void): () => void {
    return this.#onDrainInternal(cb);
  }
  #onDrainInternal(cb: () => void): () => void {
    this.#drain.add(cb);
    return () => {
      this.#drain.delete(cb);
    };
  }

  /** Cuts both ends: queued messages are lost, both sides hear onClose. */
  cut(): void {
    for (const end of [this, this.peer]) {
      if (end.closed) continue;
      end.closed = true;
      end.queue = [];
      end.buffered = 0;
      for (const cb of [...end.#close]) cb({ clean: false });
    }
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      let budget = this.o.bytesPerTick;
      const wasHigh = this.buffered > this.o.lowWater;
      while (budget > 0 && this.queue.length > 0 && !this.closed) {
        const bytes = this.queue.shift()!;
        this.buffered -= bytes.length;
        budget -= bytes.length;
        const d = decodeWire(bytes);
        if (!d.ok) throw new Error(`MemoryLink: undecodable message: ${d.message}`);
        const m = this.o.tamper ? this.o.tamper(d.message, this.side) : d.message;
        if (m) this.peer.#deliver(m);
      }
      if (wasHigh && this.buffered <= this.o.lowWater) for (const cb of [...this.#drain]) cb();
      if (this.queue.length > 0) this.#schedule();
    });
  }

  #deliver(m: WireMessage): void {
    if (this.closed) return;
    this.received.push(m);
    for (const cb of [...this.#msg]) cb(m);
  }
}

export function linkPair(o: PairOptions = {}): [MemoryLink, MemoryLink] {
  const full = { capacity: 4 << 20, lowWater: 64 << 10, bytesPerTick: 128 << 10, bare: false, ...o };
  const a = new MemoryLink('a', full),
    b = new MemoryLink('b', full);
  a.peer = b;
  b.peer = a;
  return [a, b];
}
