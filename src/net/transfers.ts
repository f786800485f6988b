/**
 * File transfers over one contact's link (docs/files.md "Glue"; DESIGN.md "files"). Owns the
 * core's sender/receiver state machines, routes `transfer` wire messages to them by transfer id,
 * hands chunks to the link only while its buffer is below a high-water mark (so chat, sent
 * directly by the app, goes ahead of file chunks and nothing queues without bound), writes
 * received chunks to a {@link FileStore}, persists state snapshots, and resumes after a relink
 * or a reload of either page. Parts: `transfer-offers.ts` (making and judging offers),
 * `transfer-entry.ts` (one transfer's events and saves), `transfer-outlet.ts` (the link),
 * `transfer-manager-core.ts` (the transfers, their queues and the pump) and `transfer-inbound.ts`
 * (what the peer sends, routed by transfer id); this module is the public API.
 * @module
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { FOLLOWED_WINDOW_BYTES, TransferSender } from '../core/transfer';
import { recordOf, saveNow, tidyOnOpen } from './transfer-entry';
import { prepareOutgoing, roomFor, type OutgoingFile } from './transfer-offers';
import { ManagerInbound } from './transfer-inbound';
import {
  DOWNLOAD_TYPE,
  type LinkPeer,
  type TransferLink,
  type TransferManagerEvent,
  type TransferManagerOptions,
  type TransferSummary,
} from './transfer-types';

export * from './transfer-types';
export { removeOrphans } from './file-store';
export { safeName } from './transfer-names';
export {
  MAX_INCOMING_CHUNKS,
  MAX_INCOMING_FILES,
  MAX_INCOMING_RECORDS,
  MAX_TOLD_IDS,
  MAX_UNANSWERED_OFFERS,
  OFFER_RATE,
  type OutgoingFile,
} from './transfer-offers';

/**
 * File transfers with one contact (docs/files.md §8, "Glue"): offers, accepts, declines, cancels
 * and dismisses; the list of transfers and their events; the link in use and the stall clock.
 */
export class TransferManager extends ManagerInbound {
  #unlink: (() => void)[] = [];
  #timer: ReturnType<typeof setInterval> | null = null;

  private constructor(o: TransferManagerOptions) {
    super(o);
  }

  /** Most transfer bytes ever queued in the link at the moment of a send (≤ high-water mark + one message). */
  get maxQueued(): number {
    return this.out.maxQueued;
  }

  /** Unknown transfer ids remembered as told `cancel` (≤ MAX_TOLD_IDS; for tests and diagnostics). */
  get toldCount(): number {
    return this.told.size;
  }

  /** A manager for one contact, with its saved transfers restored (they resume on {@link attach}). */
  static async open(o: TransferManagerOptions): Promise<TransferManager> {
    const m = new TransferManager(o);
    for (const r of await o.persistence.load(o.contact)) await m.restore(r);
    await tidyOnOpen(m.entries.values(), m.o);
    // Records saved before the limits existed (or under other ones): forget the oldest ended ones.
    for (const id of roomFor(0, m.keptIncoming()).forget) m.forget(id);
    if (m.o.tickMs > 0) m.#timer = setInterval(() => m.tick(), m.o.tickMs);
    return m;
  }

  on(cb: (e: TransferManagerEvent) => void): () => void {
    this.listeners.add(cb);
    return () => {
      this.listeners.delete(cb);
    };
  }

  list(): TransferSummary[] {
    return [...this.entries.values()].map((e) => {
      const m = e.sender ?? e.receiver!;
      return {
        id: e.id,
        direction: e.direction,
        files: e.files,
        status: m.status,
        createdAt: e.createdAt,
        accepted: e.accepted ?? null,
        saved: [...e.saved].sort((a, b) => a - b),
        purged: e.purged,
        ...m.progress(),
      };
    });
  }

  /**
   * Uses `link` from now on (a new link after a drop): re-offers unanswered offers, receivers send
   * `resume`. `peer`: what the peer announced on it (docs/files.md §14); none known = old rules.
   */
  attach(link: TransferLink, peer: LinkPeer = {}): void {
    this.detach();
    this.out.use(link);
    this.peer = { ...peer };
    this.#unlink = [
      link.onMessage((m) => this.onMessage(m)),
      ...(link.onChunk ? [link.onChunk((c) => this.onChunk(c))] : []),
      link.onClose(() => {
        if (this.out.link === link) this.detach();
      }),
      ...(link.onDrain ? [link.onDrain(() => this.kick())] : []),
    ];
    for (const e of this.entries.values()) {
      if (e.sender?.status === 'offered') e.sender.offer();
      e.receiver?.resume();
    }
    this.kick();
  }

  /** Stops using the current link (it closed); transfers wait for the next {@link attach}. */
  detach(): void {
    for (const u of this.#unlink) u();
    this.#unlink = [];
    this.out.use(null);
    this.peer = {};
  }

  /** Offers files to the contact; returns the transfer id. Reads nothing before the offer (docs/files.md §11). */
  async send(files: OutgoingFile[]): Promise<string> {
    const blobs = [...files];
    const idBytes = this.o.random(16);
    const { prepared, read } = prepareOutgoing(blobs, { chunkSize: this.o.chunkSize });
    const sender = TransferSender.create({
      id: idBytes,
      files: prepared,
      io: this.senderIo(read),
      ...this.o.transfer,
      // This build's sender takes the receiver's window as its own (up to 64 MiB), as its
      // announcement (`file-ack-window`) promises: the receiver may then ack per quarter of it (§14).
      windowBytes: FOLLOWED_WINDOW_BYTES,
    });
    const e = this.add(
      bytesToHex(idBytes),
      'out',
      prepared.map((p) => ({ name: p.name, type: p.type, size: p.size })),
      this.o.now(),
    );
    e.sender = sender;
    await this.o.persistence.save({ ...recordOf(e, this.o.contact), blobs });
    e.savedStatus = sender.status;
    this.emit({ type: 'offered', id: e.id, direction: 'out', files: e.files });
    if (this.out.link) sender.offer();
    return e.id;
  }

  /** Accepts an incoming offer (all files, or the given indices); chunks start flowing. */
  async accept(id: string, files?: number[]): Promise<void> {
    const e = this.get(id),
      r = e.receiver;
    if (!r) throw new Error(`accept: ${id} is not an incoming transfer`);
    const chosen = files ?? e.files.map((_, i) => i);
    for (const f of chosen) if (!e.sinks.has(f)) e.sinks.set(f, await this.o.store.open(id, f));
    const result = await r.accept(chosen);
    e.accepted = [...new Set(chosen)].sort((a, b) => a - b);
    this.handle(e, result);
  }

  decline(id: string): void {
    const e = this.get(id);
    if (!e.receiver) throw new Error(`decline: ${id} is not an incoming transfer`);
    e.receiver.decline();
    this.after(e, async () => {
      this.emit({ type: 'declined', id, reason: 'user' });
    });
  }

  cancel(id: string): void {
    const e = this.get(id);
    this.handle(e, { ok: true, events: (e.sender ?? e.receiver!).cancel('user') });
  }

  /** A received, verified file for the download link (OPFS-backed File in the browser). */
  getFile(id: string, file: number): Promise<Blob> {
    const e = this.get(id);
    if (e.purged)
      return Promise.reject(
        new Error(`getFile: transfer ${id} was saved and its data removed from this browser's storage`),
      );
    // Never the offered type: a peer's `text/html` or `image/svg+xml` opened from a blob URL would
    // render the peer's document in Parley's origin. The offered type is only shown as text.
    return this.o.store.read(id, file, e.files[file]!.name, DOWNLOAD_TYPE);
  }

  /**
   * The person saved (clicked Save on) a received file. Remembered; once every received file of
   * the transfer was saved, its data leaves private storage at the manager's next start
   * (`tidyOnOpen`: not now, since the browser may still be reading the download).
   */
  markSaved(id: string, file: number): void {
    const e = this.get(id);
    if (!e.receiver || !e.verified.has(file))
      throw new Error(`markSaved: file ${file} of ${id} is not a received, verified file`);
    if (e.saved.has(file)) return;
    e.saved.add(file);
    // Kept even when the manager closes at once (a reload right after the download began): then
    // the record as it stood at the click is saved, not what the closing manager's receiver did
    // since (chunks it still had queued fail: a closed manager writes nothing) — unless a save
    // since already moved the status on (and took this mark along).
    const asked = recordOf(e, this.o.contact);
    this.after(
      e,
      async () => {
        if (!this.closed) await saveNow(e, this.o);
        else if (e.savedStatus === asked.state.status) await saveNow(e, this.o, asked);
      },
      true,
    );
  }

  /** Forgets a transfer (saved or dismissed): cancels it if still running and deletes its data. */
  async dismiss(id: string): Promise<void> {
    const e = this.entries.get(id);
    if (!e) return;
    const m = e.sender ?? e.receiver!;
    if (m.status === 'offered' && e.receiver) e.receiver.decline();
    else this.handle(e, { ok: true, events: m.cancel('user') });
    await e.chain;
    this.entries.delete(id);
    for (const s of e.sinks.values()) await s.close().catch(() => undefined);
    await this.o.store.remove(id);
    await this.o.persistence.remove(id);
  }

  /** Stall clock: re-sends unanswered offers, resumes stalled receivers (docs/files.md §3). */
  tick(): void {
    const now = this.o.now();
    for (const e of this.entries.values()) {
      e.sender?.tick(now);
      const f = e.receiver?.tick(now);
      if (f) this.handle(e, { ...f, events: [{ type: 'cancelled', by: 'local', reason: 'timeout' }] });
    }
    this.kick();
  }

  /** Stops the clock, leaves the link and closes its files; state stays persisted. Terminal. */
  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.closed = true;
    this.detach();
    this.out.stop();
    for (const e of this.entries.values()) {
      await e.chain;
      // Release the files (OPFS sync handles are exclusive): a new manager may open them again.
      for (const s of e.sinks.values())
        await s
          .flush()
          .then(
            () => s.close(),
            () => s.close(),
          )
          .catch(() => undefined);
      e.sinks.clear();
    }
  }
}
