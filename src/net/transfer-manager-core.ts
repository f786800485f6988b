/**
 * The `TransferManager`'s bookkeeping (docs/files.md §8, "Glue"): its options, its transfers by
 * id, their per-transfer queues of events and saves, the pump that runs every active sender while
 * the link takes more (`LinkOutlet`), and the I/O each state machine gets. Extended by
 * `ManagerInbound` (`transfer-inbound.ts`, what the peer sends) and `TransferManager`
 * (`transfers.ts`, the public API). Split out of `transfers.ts`; no behaviour of its own.
 * @module
 */
import { randomBytes } from '@noble/hashes/utils.js';
import type { TransferResult } from '../core/transfer';
import type { ChunkPlace } from '../core/file-chunk';
import { platformChunkDigest } from '../core/file-digest';
import type { blobReader } from './file-store';
import { deliver, maybeSave, newEntry, receiverIo, restoreEntry, type Entry } from './transfer-entry';
import type { KeptIncoming } from './transfer-offers';
import { LinkOutlet } from './transfer-outlet';
import {
  DEFAULT_GLUE_CHUNK_SIZE,
  DEFAULT_HIGH_WATER,
  DEFAULT_MAX_INCOMING_BYTES,
  DEFAULT_SAVE_EVERY_BYTES,
  type LinkPeer,
  type TransferFileInfo,
  type TransferManagerEvent,
  type TransferManagerOptions,
  type TransferRecord,
} from './transfer-types';

/** {@link TransferManagerOptions} with every default filled in (docs/files.md §8). */
export type ManagerOptions = Required<Omit<TransferManagerOptions, 'transfer'>> &
  Pick<TransferManagerOptions, 'transfer'>;

/** The manager's transfers, their queues, the pump and the link outlet (docs/files.md §8). */
export abstract class ManagerCore {
  protected readonly o: ManagerOptions;
  protected readonly entries = new Map<string, Entry>();
  protected readonly listeners = new Set<(e: TransferManagerEvent) => void>();
  protected readonly out: LinkOutlet;
  private pumping = false;
  private again = false;
  protected closed = false;
  /** The current link's peer (docs/files.md §14); its receivers hold acks while `takesWindow`. */
  protected peer: LinkPeer = {};

  protected constructor(o: TransferManagerOptions) {
    this.o = {
      now: () => Date.now(),
      random: randomBytes,
      chunkSize: DEFAULT_GLUE_CHUNK_SIZE,
      highWaterBytes: DEFAULT_HIGH_WATER,
      saveEveryBytes: DEFAULT_SAVE_EVERY_BYTES,
      tickMs: 1000,
      maxIncomingBytes: DEFAULT_MAX_INCOMING_BYTES,
      ...o,
    };
    this.out = new LinkOutlet(this.o.highWaterBytes, () => this.kick());
  }

  protected senderIo(read: ReturnType<typeof blobReader>) {
    return {
      readSlice: read,
      send: (b: Uint8Array) => this.out.send(b),
      sendChunk: (place: ChunkPlace, bytes: Uint8Array) => this.out.sendChunk(place, bytes),
      canSend: () => this.out.canSend(),
      now: this.o.now,
      chunkDigest: platformChunkDigest,
    };
  }

  protected receiverIo(e: Entry) {
    return receiverIo(e, {
      closed: () => this.closed,
      send: (b) => this.out.send(b),
      now: this.o.now,
      holdAcks: () => this.peer.takesWindow === true,
    });
  }

  /** Runs every active sender's pump (once at a time; again if kicked meanwhile). */
  protected kick(): void {
    if (this.closed) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    queueMicrotask(async () => {
      try {
        do {
          this.again = false;
          for (const e of [...this.entries.values()])
            if (e.sender?.status === 'active') this.handle(e, await e.sender.pump());
        } while (this.again);
      } finally {
        this.pumping = false;
      }
      this.out.pollIfStuck();
    });
  }

  /** The contact's incoming transfers, as the offer limits see them. */
  protected keptIncoming(): KeptIncoming[] {
    const out: KeptIncoming[] = [];
    for (const e of this.entries.values())
      if (e.receiver)
        out.push({
          id: e.id,
          createdAt: e.createdAt,
          files: e.files.length,
          status: e.receiver.status,
          purged: e.purged,
        });
    return out;
  }

  /**
   * Drops an ended incoming transfer to make room for a new offer (docs/files.md "Offer flood"):
   * gone from the list at once, its record and any data removed after the saves already queued.
   */
  protected forget(id: string): void {
    const e = this.entries.get(id);
    if (!e) return;
    this.entries.delete(id);
    this.after(e, async () => {
      for (const s of e.sinks.values()) await s.close().catch(() => undefined);
      await this.o.store.remove(id);
      await this.o.persistence.remove(id);
    });
    this.emit({ type: 'forgotten', id });
  }

  protected handle(e: Entry, r: TransferResult): void {
    this.after(e, async () => {
      await deliver(e, r, (ev) => this.emit(ev));
      await maybeSave(e, this.o);
      if (e.heldComplete && e.savedStatus === 'done') {
        this.out.send(e.heldComplete);
        e.heldComplete = undefined;
      }
    });
  }

  /**
   * Runs `fn` after the entry's earlier work. After close() nothing more happens here: no events,
   * no saves, no deletions — work still in the core's queues (chunks received before the close)
   * must not touch what a new manager uses. `keep`: the person's own choice, asked before the
   * close, which close() waits for (it releases the files after the entry's chain).
   */
  protected after(e: Entry, fn: () => Promise<void>, keep = false): void {
    e.chain = e.chain
      .then(() => (this.closed && !keep ? undefined : fn()))
      .catch((err: unknown) => console.error(`transfer ${e.id}:`, err));
  }

  protected add(id: string, direction: 'in' | 'out', files: TransferFileInfo[], createdAt: number): Entry {
    const e = newEntry(id, direction, files, createdAt);
    this.entries.set(id, e);
    return e;
  }

  protected get(id: string): Entry {
    const e = this.entries.get(id);
    if (!e) throw new Error(`no transfer ${id}`);
    return e;
  }

  protected async restore(r: TransferRecord): Promise<void> {
    const e = await restoreEntry(r, {
      store: this.o.store,
      senderIo: (read) => this.senderIo(read),
      receiverIo: (x) => this.receiverIo(x),
    });
    this.entries.set(e.id, e);
  }

  protected emit(ev: TransferManagerEvent): void {
    for (const cb of [...this.listeners]) cb(ev);
  }
}
