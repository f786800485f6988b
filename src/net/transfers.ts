/**
 * File transfers over one contact's link (docs/files.md "Glue"; DESIGN.md "files"). Owns the
 * core's sender/receiver state machines, routes `transfer` wire messages to them by transfer id,
 * hands chunks to the link only while its buffer is below a high-water mark (so chat, sent
 * directly by the app, goes ahead of file chunks and nothing queues without bound), writes
 * received chunks to a {@link FileStore}, persists state snapshots, and resumes after a relink
 * or a reload of either page. Parts: `transfer-offers.ts` (making and judging offers),
 * `transfer-entry.ts` (one transfer's events and saves), `transfer-outlet.ts` (the link).
 * @module
 */
import { bytesToHex, hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import {
  decodeTransfer,
  encodeTransfer,
  TransferReceiver,
  TransferSender,
  type TransferResult,
} from '../core/transfer';
import type { WireMessage } from '../core/wire';
import type { ChunkPlace } from '../core/file-chunk';
import { blobReader } from './file-store';
import { platformChunkDigest } from '../core/file-digest';
import {
  deliver,
  maybeSave,
  newEntry,
  receiverIo,
  recordOf,
  restoreEntry,
  saveNow,
  tidyOnOpen,
  type Entry,
} from './transfer-entry';
import {
  IncomingOffers,
  MAX_TOLD_IDS,
  prepareOutgoing,
  roomFor,
  type KeptIncoming,
  type OutgoingFile,
} from './transfer-offers';
import { LinkOutlet } from './transfer-outlet';
import { incomingFileInfo } from './transfer-names';
import {
  DEFAULT_GLUE_CHUNK_SIZE,
  DEFAULT_HIGH_WATER,
  DEFAULT_MAX_INCOMING_BYTES,
  DEFAULT_SAVE_EVERY_BYTES,
  DOWNLOAD_TYPE,
  type ChunkArrival,
  type TransferFileInfo,
  type TransferLink,
  type TransferManagerEvent,
  type TransferManagerOptions,
  type TransferRecord,
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

export class TransferManager {
  readonly #o: Required<Omit<TransferManagerOptions, 'transfer'>> & Pick<TransferManagerOptions, 'transfer'>;
  readonly #entries = new Map<string, Entry>();
  readonly #listeners = new Set<(e: TransferManagerEvent) => void>();
  readonly #out: LinkOutlet;
  #unlink: (() => void)[] = [];
  #pumping = false;
  #again = false;
  #timer: ReturnType<typeof setInterval> | null = null;
  #closed = false;
  /** Unknown transfer ids whose sender was already told `cancel` (at most MAX_TOLD_IDS, oldest dropped). */
  readonly #told = new Set<string>();
  /** The limits on the contact's incoming offers (docs/files.md "Offer flood"). */
  readonly #offers: IncomingOffers;

  private constructor(o: TransferManagerOptions) {
    this.#o = {
      now: () => Date.now(),
      random: randomBytes,
      chunkSize: DEFAULT_GLUE_CHUNK_SIZE,
      highWaterBytes: DEFAULT_HIGH_WATER,
      saveEveryBytes: DEFAULT_SAVE_EVERY_BYTES,
      tickMs: 1000,
      maxIncomingBytes: DEFAULT_MAX_INCOMING_BYTES,
      ...o,
    };
    this.#out = new LinkOutlet(this.#o.highWaterBytes, () => this.#kick());
    this.#offers = new IncomingOffers(this.#o.maxIncomingBytes, this.#o.now());
  }

  /** Most transfer bytes ever queued in the link at the moment of a send (≤ high-water mark + one message). */
  get maxQueued(): number {
    return this.#out.maxQueued;
  }

  /** Unknown transfer ids remembered as told `cancel` (≤ MAX_TOLD_IDS; for tests and diagnostics). */
  get toldCount(): number {
    return this.#told.size;
  }

  /** A manager for one contact, with its saved transfers restored (they resume on {@link attach}). */
  static async open(o: TransferManagerOptions): Promise<TransferManager> {
    const m = new TransferManager(o);
    for (const r of await o.persistence.load(o.contact)) await m.#restore(r);
    await tidyOnOpen(m.#entries.values(), m.#o);
    // Records saved before the limits existed (or under other ones): forget the oldest ended ones.
    for (const id of roomFor(0, m.#keptIncoming()).forget) m.#forget(id);
    if (m.#o.tickMs > 0) m.#timer = setInterval(() => m.tick(), m.#o.tickMs);
    return m;
  }

  on(cb: (e: TransferManagerEvent) => void): () => void {
    this.#listeners.add(cb);
    return () => {
      this.#listeners.delete(cb);
    };
  }

  list(): TransferSummary[] {
    return [...this.#entries.values()].map((e) => {
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

  /** Uses `link` from now on (a new link after a drop): re-offers unanswered offers, receivers send `resume`. */
  attach(link: TransferLink): void {
    this.detach();
    this.#out.use(link);
    this.#unlink = [
      link.onMessage((m) => this.#onMessage(m)),
      ...(link.onChunk ? [link.onChunk((c) => this.#onChunk(c))] : []),
      link.onClose(() => {
        if (this.#out.link === link) this.detach();
      }),
      ...(link.onDrain ? [link.onDrain(() => this.#kick())] : []),
    ];
    for (const e of this.#entries.values()) {
      if (e.sender?.status === 'offered') e.sender.offer();
      e.receiver?.resume();
    }
    this.#kick();
  }

  /** Stops using the current link (it closed); transfers wait for the next {@link attach}. */
  detach(): void {
    for (const u of this.#unlink) u();
    this.#unlink = [];
    this.#out.use(null);
  }

  /** Offers files to the contact; returns the transfer id. Reads nothing before the offer (docs/files.md §11). */
  async send(files: OutgoingFile[]): Promise<string> {
    const blobs = [...files];
    const idBytes = this.#o.random(16);
    const { prepared, read } = prepareOutgoing(blobs, { chunkSize: this.#o.chunkSize });
    const sender = TransferSender.create({
      id: idBytes,
      files: prepared,
      io: this.#senderIo(read),
      ...this.#o.transfer,
    });
    const e = this.#add(
      bytesToHex(idBytes),
      'out',
      prepared.map((p) => ({ name: p.name, type: p.type, size: p.size })),
      this.#o.now(),
    );
    e.sender = sender;
    await this.#o.persistence.save({ ...recordOf(e, this.#o.contact), blobs });
    e.savedStatus = sender.status;
    this.#emit({ type: 'offered', id: e.id, direction: 'out', files: e.files });
    if (this.#out.link) sender.offer();
    return e.id;
  }

  /** Accepts an incoming offer (all files, or the given indices); chunks start flowing. */
  async accept(id: string, files?: number[]): Promise<void> {
    const e = this.#get(id),
      r = e.receiver;
    if (!r) throw new Error(`accept: ${id} is not an incoming transfer`);
    const chosen = files ?? e.files.map((_, i) => i);
    for (const f of chosen) if (!e.sinks.has(f)) e.sinks.set(f, await this.#o.store.open(id, f));
    const result = await r.accept(chosen);
    e.accepted = [...new Set(chosen)].sort((a, b) => a - b);
    this.#handle(e, result);
  }

  decline(id: string): void {
    const e = this.#get(id);
    if (!e.receiver) throw new Error(`decline: ${id} is not an incoming transfer`);
    e.receiver.decline();
    this.#after(e, async () => {
      this.#emit({ type: 'declined', id, reason: 'user' });
    });
  }

  cancel(id: string): void {
    const e = this.#get(id);
    this.#handle(e, { ok: true, events: (e.sender ?? e.receiver!).cancel('user') });
  }

  /** A received, verified file for the download link (OPFS-backed File in the browser). */
  getFile(id: string, file: number): Promise<Blob> {
    const e = this.#get(id);
    if (e.purged)
      return Promise.reject(
        new Error(`getFile: transfer ${id} was saved and its data removed from this browser's storage`),
      );
    // Never the offered type: a peer's `text/html` or `image/svg+xml` opened from a blob URL would
    // render the peer's document in Parley's origin. The offered type is only shown as text.
    return this.#o.store.read(id, file, e.files[file]!.name, DOWNLOAD_TYPE);
  }

  /**
   * The person saved (clicked Save on) a received file. Remembered; once every received file of
   * the transfer was saved, its data leaves private storage at the manager's next start
   * (`tidyOnOpen`: not now, since the browser may still be reading the download).
   */
  markSaved(id: string, file: number): void {
    const e = this.#get(id);
    if (!e.receiver || !e.verified.has(file))
      throw new Error(`markSaved: file ${file} of ${id} is not a received, verified file`);
    if (e.saved.has(file)) return;
    e.saved.add(file);
    this.#after(e, () => saveNow(e, this.#o));
  }

  /** Forgets a transfer (saved or dismissed): cancels it if still running and deletes its data. */
  async dismiss(id: string): Promise<void> {
    const e = this.#entries.get(id);
    if (!e) return;
    const m = e.sender ?? e.receiver!;
    if (m.status === 'offered' && e.receiver) e.receiver.decline();
    else this.#handle(e, { ok: true, events: m.cancel('user') });
    await e.chain;
    this.#entries.delete(id);
    for (const s of e.sinks.values()) await s.close().catch(() => undefined);
    await this.#o.store.remove(id);
    await this.#o.persistence.remove(id);
  }

  /** Stall clock: re-sends unanswered offers, resumes stalled receivers (docs/files.md §3). */
  tick(): void {
    const now = this.#o.now();
    for (const e of this.#entries.values()) {
      e.sender?.tick(now);
      const f = e.receiver?.tick(now);
      if (f) this.#handle(e, { ...f, events: [{ type: 'cancelled', by: 'local', reason: 'timeout' }] });
    }
    this.#kick();
  }

  /** Stops the clock, leaves the link and closes its files; state stays persisted. Terminal. */
  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#closed = true;
    this.detach();
    this.#out.stop();
    for (const e of this.#entries.values()) {
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

  // ——— internals ———

  #senderIo(read: ReturnType<typeof blobReader>) {
    return {
      readSlice: read,
      send: (b: Uint8Array) => this.#out.send(b),
      sendChunk: (place: ChunkPlace, bytes: Uint8Array) => this.#out.sendChunk(place, bytes),
      canSend: () => this.#out.canSend(),
      now: this.#o.now,
      chunkDigest: platformChunkDigest,
    };
  }

  #receiverIo(e: Entry) {
    return receiverIo(e, { closed: () => this.#closed, send: (b) => this.#out.send(b), now: this.#o.now });
  }

  /** Runs every active sender's pump (once at a time; again if kicked meanwhile). */
  #kick(): void {
    if (this.#closed) return;
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = true;
    queueMicrotask(async () => {
      try {
        do {
          this.#again = false;
          for (const e of [...this.#entries.values()])
            if (e.sender?.status === 'active') this.#handle(e, await e.sender.pump());
        } while (this.#again);
      } finally {
        this.#pumping = false;
      }
      this.#out.pollIfStuck();
    });
  }

  #onMessage(m: WireMessage): void {
    if (m.type !== 'transfer') return;
    const b = m.data;
    if (b.length < 18) return; // too short to carry an id: the codec would refuse it anyway
    const id = bytesToHex(b.subarray(2, 18));
    const e = this.#entries.get(id);
    if (e) {
      const run = e.sender ? e.sender.receive(b) : e.receiver!.receive(b);
      void run.then((r) => {
        // The peer did not hear our cancel (the link was down): say it again, once per message it sends.
        if (!r.ok && r.code === 'TRANSFER_CANCELLED') this.#tellCancelled(id);
        this.#handle(e, r);
        this.#kick();
      });
      return;
    }
    const d = decodeTransfer(b, 'receiver');
    if (!d.ok) return;
    if (d.message.type !== 'offer') {
      // A transfer we dismissed (or never knew): a peer still sending or resuming it is told once.
      if (['resume', 'chunk', 'hashes', 'ack'].includes(d.message.type) && !this.#told.has(id)) {
        this.#told.add(id);
        if (this.#told.size > MAX_TOLD_IDS) this.#told.delete(this.#told.values().next().value!);
        this.#tellCancelled(id);
      }
      return;
    }
    const judged = this.#offers.judge(d.message.files, this.#keptIncoming(), this.#o.now());
    if ('reason' in judged) {
      const r = TransferReceiver.fromOffer(d.message, {
        writeChunk: async () => {},
        send: (x) => this.#out.send(x),
        now: this.#o.now,
      });
      if (r.ok) r.receiver.decline(judged.reason);
      this.#emit({ type: 'refused', id, ...judged, files: d.message.files.length });
      return;
    }
    for (const old of judged.forget) this.#forget(old);
    const n = this.#add(id, 'in', d.message.files.map(incomingFileInfo), this.#o.now());
    const made = TransferReceiver.fromOffer(d.message, this.#receiverIo(n), this.#o.transfer);
    if (!made.ok) {
      this.#entries.delete(id);
      return;
    }
    n.receiver = made.receiver;
    this.#after(n, async () => {
      await maybeSave(n, this.#o);
      this.#emit({ type: 'offered', id, direction: 'in', files: n.files });
    });
  }

  /** A sealed chunk from the link: opened (to its receiver), or refused (its receiver asks for it again). */
  #onChunk(c: ChunkArrival): void {
    const place = c.ok ? c.chunk : c.claimed;
    if (!place) return; // not even a header: nothing to route or ask for again
    const id = bytesToHex(place.id);
    const e = this.#entries.get(id);
    if (!e?.receiver) {
      if (c.ok && !e && !this.#told.has(id)) {
        this.#told.add(id);
        if (this.#told.size > MAX_TOLD_IDS) this.#told.delete(this.#told.values().next().value!);
        this.#tellCancelled(id);
      }
      return;
    }
    const run = c.ok
      ? e.receiver.receive({ type: 'chunk', ...c.chunk })
      : e.receiver.refuse(place.file, place.index, c.code, c.message);
    void run.then((r) => {
      if (!r.ok && r.code === 'TRANSFER_CANCELLED') this.#tellCancelled(id);
      this.#handle(e, r);
      this.#kick();
    });
  }

  #tellCancelled(id: string): void {
    this.#out.send(encodeTransfer({ type: 'cancel', id: hexToBytes(id), reason: 'user' }));
  }

  /** The contact's incoming transfers, as the offer limits see them. */
  #keptIncoming(): KeptIncoming[] {
    const out: KeptIncoming[] = [];
    for (const e of this.#entries.values())
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
  #forget(id: string): void {
    const e = this.#entries.get(id);
    if (!e) return;
    this.#entries.delete(id);
    this.#after(e, async () => {
      for (const s of e.sinks.values()) await s.close().catch(() => undefined);
      await this.#o.store.remove(id);
      await this.#o.persistence.remove(id);
    });
    this.#emit({ type: 'forgotten', id });
  }

  #handle(e: Entry, r: TransferResult): void {
    this.#after(e, async () => {
      await deliver(e, r, (ev) => this.#emit(ev));
      await maybeSave(e, this.#o);
      if (e.heldComplete && e.savedStatus === 'done') {
        this.#out.send(e.heldComplete);
        e.heldComplete = undefined;
      }
    });
  }

  #after(e: Entry, fn: () => Promise<void>): void {
    // After close() nothing more happens here: no events, no saves, no deletions — work still in
    // the core's queues (chunks received before the close) must not touch what a new manager uses.
    e.chain = e.chain
      .then(() => (this.#closed ? undefined : fn()))
      .catch((err: unknown) => console.error(`transfer ${e.id}:`, err));
  }

  #add(id: string, direction: 'in' | 'out', files: TransferFileInfo[], createdAt: number): Entry {
    const e = newEntry(id, direction, files, createdAt);
    this.#entries.set(id, e);
    return e;
  }

  #get(id: string): Entry {
    const e = this.#entries.get(id);
    if (!e) throw new Error(`no transfer ${id}`);
    return e;
  }

  async #restore(r: TransferRecord): Promise<void> {
    const e = await restoreEntry(r, {
      store: this.#o.store,
      senderIo: (read) => this.#senderIo(read),
      receiverIo: (x) => this.#receiverIo(x),
    });
    this.#entries.set(e.id, e);
  }

  #emit(ev: TransferManagerEvent): void {
    for (const cb of [...this.#listeners]) cb(ev);
  }
}
