/**
 * The manager's way out to the link (docs/files.md §8, "Backpressure and chat priority"): hands
 * transfer messages to `link.send()` and says whether another may go (`canSend`): only while
 * `queued` — bytes given to send() and not yet settled, plus the link's `bufferedAmount` — is
 * below the high-water mark. Calls `wake` when room may have appeared: a send settled, the link
 * drained, or (safety net) a 20 ms poll while only the link's buffer holds us back.
 * @module
 */
import { encodeTransfer } from '../core/transfer-codec';
import type { ChunkPlace } from '../core/file-chunk';
import type { TransferLink } from './transfer-types';

export class LinkOutlet {
  #link: TransferLink | null = null;
  #pending = 0;
  #poll: ReturnType<typeof setTimeout> | null = null;
  /** Most transfer bytes ever queued at the moment of a send (the bound the tests check). */
  maxQueued = 0;

  constructor(
    readonly highWaterBytes: number,
    private readonly wake: () => void,
  ) {}

  get link(): TransferLink | null {
    return this.#link;
  }

  /** Starts using `link` (null: none); a previous link's unsettled sends no longer count. */
  use(link: TransferLink | null): void {
    this.#link = link;
    this.#pending = 0;
  }

  queued(): number {
    return this.#pending + (this.#link?.bufferedAmount ?? 0);
  }
  canSend(): boolean {
    return this.#link !== null && this.queued() < this.highWaterBytes;
  }

  /** Sends one transfer-codec message; without a link it is lost (resume/stall recovery re-sends what matters). */
  send(bytes: Uint8Array): void {
    this.#track(bytes.length, (link) => link.send({ type: 'transfer', data: bytes }));
  }

  /** Sends one chunk: sealed once by the link where it can (docs/files.md §10), else as a `transfer` message. */
  sendChunk(place: ChunkPlace, bytes: Uint8Array): void {
    this.#track(bytes.length, (link) =>
      link.sendChunk
        ? link.sendChunk(place, bytes)
        : link.send({ type: 'transfer', data: encodeTransfer({ type: 'chunk', ...place, bytes }) }),
    );
  }

  #track(bytes: number, go: (link: TransferLink) => Promise<void>): void {
    const link = this.#link;
    if (!link) return;
    this.#pending += bytes;
    this.maxQueued = Math.max(this.maxQueued, this.queued());
    go(link).then(
      () => {
        if (this.#link === link) this.#pending -= bytes;
        this.wake();
      },
      () => {
        if (this.#link === link) this.#pending -= bytes;
      },
    );
  }

  /**
   * After a pump: if only the link's buffer holds us back and nothing in flight will wake us,
   * poll — a browser fires `bufferedamountlow` only when the buffer crosses the link's own
   * threshold, which may sit above our mark (or the link has no `onDrain` at all). FramedLink's
   * sits at half the default mark (docs/files.md §15): there the poll is only a safety net.
   */
  pollIfStuck(): void {
    if (this.#link && !this.canSend() && this.#pending === 0 && !this.#poll)
      this.#poll = setTimeout(() => {
        this.#poll = null;
        this.wake();
      }, 20);
  }

  stop(): void {
    if (this.#poll) clearTimeout(this.#poll);
    this.#poll = null;
    this.use(null);
  }
}
