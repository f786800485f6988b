/**
 * File transfer, receiving side (docs/files.md). Created from an offer; the caller accepts some
 * files or declines. Each chunk arrives authenticated by the sealed-chunk layer (file key, bound
 * to its transfer, file, index and offset: §10), hashed (`ReceiverIo.chunkDigest`), written
 * through `writeChunk` at once (in any order within the window), and its digest folded in file
 * order into the file digest (§12). A file is reported complete only when every chunk is in and
 * that digest equals the sender's `digest` of what it read (§11, §12). A refused chunk is
 * refetched (nack) up to `maxRetries` times. The state is JSON (`toJSON`): the verified prefix of
 * each file, the file digest's midstate and the sender's digest, so a reload resumes from there.
 * @module
 */
import { equalBytes } from '@noble/ciphers/utils.js';
import { chunkRecord, nobleChunkDigest } from './file-digest';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import {
  decodeTransfer,
  encodeTransfer,
  type CancelReason,
  type DeclineReason,
  type FileOffer,
  type TransferMessage,
  type TransferMessageOf,
} from './transfer-codec';
import {
  chunkLength,
  resolveOptions,
  offerFromJson,
  offerToJson,
  ProgressMeter,
  rangeBytes,
  transferFailure,
  type TransferErrorCode,
  type TransferEvent,
  type TransferFailure,
  type TransferResult,
  type TransferStatus,
} from './transfer-common';
import {
  loadFile,
  newFile,
  saveFile,
  type ReceiverIo,
  type ReceiverOptions,
  type ReceiverState,
  type ReceivingFile,
} from './transfer-receive-file';

export type { ReceiverIo, ReceiverOptions, ReceiverState } from './transfer-receive-file';

const NO_BYTES = new Uint8Array(0);

/**
 * Receiving state machine (docs/files.md §3). `fromOffer` → `accept()`/`decline()`; feed every
 * message from the sender to `receive()`; `tick(now)` now and then; persist `toJSON()`, and
 * after a reload `restore()` it and call `resume()`.
 */
export class TransferReceiver {
  readonly id: Uint8Array;
  readonly files: readonly FileOffer[];
  private st: TransferStatus;
  private accepted: number[] = [];
  private rf: (ReceivingFile | null)[];
  private bufferedBytes = 0;
  private attempts = new Map<string, number>();
  private chain: Promise<unknown> = Promise.resolve();
  private lastProgress: number;
  private stallResends = 0;
  /** Messages given to `receive` and not yet handled; files with verified chunks not yet acknowledged. */
  private queued = 0;
  private readonly unacked = new Set<number>();
  private readonly meter: ProgressMeter;
  private readonly opts: Required<ReceiverOptions>;

  private constructor(
    private readonly io: ReceiverIo,
    id: Uint8Array,
    files: FileOffer[],
    opts: ReceiverOptions,
  ) {
    this.id = id;
    this.files = files;
    this.st = 'offered';
    this.rf = files.map(() => null);
    this.opts = resolveOptions(opts);
    this.lastProgress = io.now();
    this.meter = new ProgressMeter(this.opts.progressIntervalMs);
  }

  /** A receiver for an offer message; the caller shows `files` and calls {@link accept} or {@link decline}. */
  static fromOffer(
    input: Uint8Array | TransferMessage,
    io: ReceiverIo,
    opts: ReceiverOptions = {},
  ): { ok: true; receiver: TransferReceiver; files: FileOffer[] } | TransferFailure {
    let m = input as TransferMessage;
    if (input instanceof Uint8Array) {
      const d = decodeTransfer(input, 'receiver');
      if (!d.ok) return { ...d, fatal: false };
      m = d.message;
    }
    if (m.type !== 'offer')
      return transferFailure('TRANSFER_UNEXPECTED', 'receiver', m.type, `expected an offer, got ${m.type}`);
    return { ok: true, receiver: new TransferReceiver(io, m.id.slice(), m.files, opts), files: m.files };
  }

  /** Restores a receiver from {@link toJSON}; call {@link resume} once connected again. */
  static restore(state: ReceiverState, io: ReceiverIo): TransferReceiver {
    if (state?.v !== 3 || state.role !== 'receiver') throw new TypeError('state: not a saved TransferReceiver (v3)');
    const r = new TransferReceiver(io, hexToBytes(state.id), state.files.map(offerFromJson), state.options);
    r.st = state.status;
    r.accepted = [...state.accepted];
    r.rf = r.files.map((offer, i) => {
      const p = state.progress[i];
      return p ? loadFile(offer, p) : null;
    });
    return r;
  }

  get status(): TransferStatus {
    return this.st;
  }

  toJSON(): ReceiverState {
    return {
      v: 3,
      role: 'receiver',
      id: bytesToHex(this.id),
      status: this.st,
      files: this.files.map(offerToJson),
      accepted: [...this.accepted],
      progress: this.rf.map((f) => f && saveFile(f)),
      options: { ...this.opts },
    };
  }

  /** Accepts the given files (default: all) and tells the sender; empty files complete with their digest. */
  accept(files: number[] = this.files.map((_, i) => i)): Promise<TransferResult> {
    if (this.st !== 'offered') throw new Error(`accept: transfer is ${this.st}`);
    const sorted = [...new Set(files)].sort((a, b) => a - b);
    if (sorted.length === 0 || sorted.some((f) => !Number.isInteger(f) || f < 0 || f >= this.files.length))
      throw new RangeError(
        `files: 1..${this.files.length} indices below ${this.files.length} (use decline() to refuse all)`,
      );
    this.st = 'active';
    this.accepted = sorted;
    for (const f of sorted) this.rf[f] = newFile(this.files[f]!);
    this.io.send(encodeTransfer({ type: 'accept', id: this.id, windowBytes: this.opts.windowBytes, files: sorted }));
    this.lastProgress = this.io.now();
    return this.serial(async () => ({ ok: true, events: [] }));
  }

  decline(reason: DeclineReason = 'user'): void {
    if (this.st !== 'offered') throw new Error(`decline: transfer is ${this.st}`);
    this.st = 'declined';
    this.io.send(encodeTransfer({ type: 'decline', id: this.id, reason }));
  }

  cancel(reason: CancelReason = 'user'): TransferEvent[] {
    if (this.st !== 'offered' && this.st !== 'active') return [];
    this.st = 'cancelled';
    this.io.send(encodeTransfer({ type: 'cancel', id: this.id, reason }));
    return [{ type: 'cancelled', by: 'local', reason }];
  }

  /** Tells the sender where this side stands (after a reconnect or a restore), and `complete` if done. */
  resume(): void {
    if (this.st !== 'active' && this.st !== 'done') return;
    this.io.send(
      encodeTransfer({
        type: 'resume',
        id: this.id,
        files: this.accepted.map((f) => ({ file: f, verified: this.rf[f]!.verified })),
      }),
    );
    if (this.st === 'done') this.io.send(encodeTransfer({ type: 'complete', id: this.id }));
  }

  /**
   * Sends a resume when nothing verified for `stallMs` (a lost message; at most 3 times in a row
   * once done). After `maxStalls` such periods in a row the transfer fails: TRANSFER_STALLED.
   */
  tick(now: number): TransferFailure | null {
    if ((this.st !== 'active' && this.st !== 'done') || now - this.lastProgress < this.opts.stallMs) return null;
    if (this.st === 'done' && this.stallResends >= 3) return null;
    this.lastProgress = now;
    if (this.st === 'active' && ++this.stallResends > this.opts.maxStalls) {
      this.cancel('timeout');
      this.st = 'failed';
      return transferFailure(
        'TRANSFER_STALLED',
        'receiver',
        'tick',
        `nothing verified for ${this.stallResends} stall periods; the sender is gone or the path loses everything`,
        true,
      );
    }
    if (this.st === 'done') this.stallResends++;
    this.resume();
    return null;
  }

  progress(): { done: number; total: number } {
    let done = 0,
      total = 0;
    for (const f of this.accepted) {
      const r = this.rf[f]!;
      total += r.offer.size;
      done += r.done ? r.offer.size : rangeBytes(r.offer, 0, r.verified);
    }
    return { done, total };
  }

  /** Handles one message from the sender (bytes or decoded). Calls may overlap (they are queued). */
  receive(input: Uint8Array | TransferMessage): Promise<TransferResult> {
    let m = input as TransferMessage;
    if (input instanceof Uint8Array) {
      const d = decodeTransfer(input, 'receiver');
      if (!d.ok) return this.serial(async () => ({ ...d, fatal: false, events: [] }));
      m = d.message;
    }
    this.queued++;
    return this.serial(async () => {
      try {
        return await this.handle(m);
      } finally {
        if (--this.queued === 0) this.sendAcks();
      }
    });
  }

  /**
   * A chunk the caller's sealed-chunk layer refused (docs/files.md §10: tampered, moved, replayed
   * or from another transfer): `file` and `index` are what its unauthenticated header claimed.
   * When this side still needs that chunk it asks for it again (nack), counted against
   * `maxRetries`; otherwise the refusal is only reported.
   */
  refuse(file: number, index: number, code: string, why: string): Promise<TransferResult> {
    return this.serial(async () => {
      const step = `chunk ${file}:${index}`;
      const r = this.st === 'active' ? this.rf[file] : null;
      if (!r || index >= r.count || r.done || index < r.verified || r.buffered.has(index))
        return this.fail(step, 'TRANSFER_UNEXPECTED', `a refused chunk (${code}) that is not needed; dropped: ${why}`);
      const chunk = { type: 'chunk' as const, id: this.id, file, index, bytes: NO_BYTES };
      return this.refetch(chunk, step, chunkLength(r.offer, index), false, `was refused (${code}): ${why}`);
    });
  }

  /**
   * Acks are cumulative, so one may cover many chunks (docs/files.md §2): a verified prefix is
   * acknowledged once no further message waits in this receiver's queue, once it grew by a
   * quarter of the window since the last ack, or when the file is complete — not once per chunk.
   */
  private ack(file: number, r: ReceivingFile, force: boolean): void {
    const unacked = rangeBytes(r.offer, r.acked, r.verified);
    if (unacked === 0) return;
    if (!force && this.queued > 1 && unacked < this.opts.windowBytes / 4) {
      this.unacked.add(file);
      return;
    }
    this.unacked.delete(file);
    r.acked = r.verified;
    this.io.send(encodeTransfer({ type: 'ack', id: this.id, file, verified: r.verified }));
  }

  private sendAcks(): void {
    if (this.st !== 'active' && this.st !== 'done') return;
    for (const f of [...this.unacked]) this.ack(f, this.rf[f]!, true);
  }

  private serial(fn: () => Promise<TransferResult>): Promise<TransferResult> {
    const run = this.chain.then(fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async handle(m: TransferMessage): Promise<TransferResult> {
    const step = m.type === 'chunk' ? `chunk ${m.file}:${m.index}` : m.type === 'digest' ? `digest ${m.file}` : m.type;
    if (!equalBytes(m.id, this.id))
      return this.fail(step, 'TRANSFER_UNKNOWN_ID', 'message for another transfer id; dropped');
    if (m.type === 'cancel') return this.onCancel(m);
    if (this.st === 'cancelled')
      return this.fail(step, 'TRANSFER_CANCELLED', 'the transfer was cancelled; message dropped');
    if (m.type === 'offer') return this.onOfferAgain();
    if (m.type !== 'digest' && m.type !== 'chunk')
      return this.fail(step, 'TRANSFER_UNEXPECTED', `${m.type} is a message for the sending side; dropped`);
    if (this.st === 'done') {
      // The sender has not heard our `complete` (all repeats lost): this is its probe (docs/files.md §3).
      this.io.send(encodeTransfer({ type: 'complete', id: this.id }));
      return this.fail(step, 'TRANSFER_UNEXPECTED', `${m.type} after the transfer completed; complete sent again`);
    }
    if (this.st !== 'active')
      return this.fail(step, 'TRANSFER_UNEXPECTED', `${m.type} while the transfer is ${this.st}; dropped`);
    const r = this.rf[m.file];
    if (!r)
      return this.fail(
        step,
        'TRANSFER_BAD_INDEX',
        `file ${m.file} was not offered or not accepted; dropped, nothing written`,
      );
    return m.type === 'digest' ? this.onDigest(m, r, step) : this.onChunk(m, r, step);
  }

  private onCancel(m: TransferMessageOf<'cancel'>): TransferResult {
    if (this.st !== 'offered' && this.st !== 'active') return { ok: true, events: [] };
    this.st = 'cancelled';
    return { ok: true, events: [{ type: 'cancelled', by: 'peer', reason: m.reason }] };
  }

  /** The offer again: the sender did not hear our answer (lost, or it reloaded), so say it again. */
  private onOfferAgain(): TransferResult {
    if (this.st === 'active' || this.st === 'done') {
      this.io.send(
        encodeTransfer({ type: 'accept', id: this.id, windowBytes: this.opts.windowBytes, files: this.accepted }),
      );
      this.resume();
    } else if (this.st === 'declined') this.io.send(encodeTransfer({ type: 'decline', id: this.id, reason: 'user' }));
    return { ok: true, events: [] };
  }

  /**
   * The sender's SHA-256 of what it read of a file (docs/files.md §11): kept, and compared with
   * the hash of what was written once every chunk is in. A second, different digest for the same
   * file means the sender read other bytes (its file changed): the transfer fails.
   */
  private async onDigest(m: TransferMessageOf<'digest'>, r: ReceivingFile, step: string): Promise<TransferResult> {
    if (r.done) return this.fail(step, 'TRANSFER_DUPLICATE', `file ${m.file} is already complete; digest dropped`);
    if (r.expected) {
      if (equalBytes(r.expected, m.sha256)) return this.fail(step, 'TRANSFER_DUPLICATE', 'digest again; dropped');
      return this.giveUp(
        step,
        'integrity',
        'TRANSFER_FILE_HASH_MISMATCH',
        `the sender's digest of file ${m.file} changed; its file changed while it was being sent`,
      );
    }
    r.expected = m.sha256;
    this.lastProgress = this.io.now();
    const events: TransferEvent[] = [];
    if (r.verified === r.count) {
      const bad = await this.finishFile(m.file, r, events);
      if (bad) return { ...bad, events };
    }
    return { ok: true, events };
  }

  /** A chunk (already authenticated by the sealed-chunk layer): checked against the window and its place, written, then counted in order. */
  private async onChunk(m: TransferMessageOf<'chunk'>, r: ReceivingFile, step: string): Promise<TransferResult> {
    const { file, index, bytes } = m;
    const unwanted = this.unwantedChunk(m, r);
    if (unwanted) return this.fail(step, unwanted.code, unwanted.why);
    const len = chunkLength(r.offer, index);
    const badLength = bytes.length !== len;
    if (m.offset !== undefined && m.offset !== index * r.offer.chunkSize)
      return this.refetch(m, step, len, false, `was sealed for offset ${m.offset}, not ${index * r.offer.chunkSize}`);
    if (badLength) return this.refetch(m, step, len, true);
    // The chunk's digest takes what it needs from `bytes` now (§12): the write may take them.
    // It finishes off the thread; only the file's last step waits for it (finishFile).
    const chunkSha = (this.io.chunkDigest ?? nobleChunkDigest)(bytes);
    chunkSha.catch(() => undefined); // seen through `folding`
    try {
      await this.io.writeChunk(file, index * r.offer.chunkSize, bytes);
    } catch (e) {
      return this.giveUp(step, 'error', 'TRANSFER_IO', `writing file ${file} failed: ${String(e)}`);
    }
    if (this.st !== 'active') return this.fail(step, 'TRANSFER_CANCELLED', 'cancelled while writing');
    this.lastProgress = this.io.now();
    this.stallResends = 0;
    return this.chunkWritten(m, r, len, chunkSha);
  }

  /** Why a chunk is dropped before it is written, or null when it is wanted. */
  private unwantedChunk(
    { file, index }: TransferMessageOf<'chunk'>,
    r: ReceivingFile,
  ): { code: TransferErrorCode; why: string } | null {
    if (index >= r.count)
      return {
        code: 'TRANSFER_SIZE_OVERFLOW',
        why: `chunk ${index} is beyond the ${r.offer.size} bytes declared for file ${file}; dropped`,
      };
    if (r.done || index < r.verified || r.buffered.has(index))
      return { code: 'TRANSFER_DUPLICATE', why: 'chunk already verified; dropped' };
    if (index > r.verified && this.bufferedBytes + chunkLength(r.offer, index) > this.opts.windowBytes)
      return {
        code: 'TRANSFER_WINDOW_EXCEEDED',
        why: `chunk beyond the ${this.opts.windowBytes}-byte window; dropped`,
      };
    return null;
  }

  /** A chunk of the wrong length or refused: ask for it again, up to `maxRetries` times. */
  private refetch(
    { file, index, bytes }: TransferMessageOf<'chunk'>,
    step: string,
    len: number,
    badLength: boolean,
    refused?: string,
  ): TransferResult {
    if (this.st !== 'active') return this.fail(step, 'TRANSFER_CANCELLED', 'cancelled meanwhile');
    const key = `${file}:${index}`,
      tries = (this.attempts.get(key) ?? 0) + 1;
    this.attempts.set(key, tries);
    const code = badLength ? 'TRANSFER_CHUNK_LENGTH' : 'TRANSFER_HASH_MISMATCH';
    const what = refused ?? (badLength ? `has ${bytes.length} bytes, expected ${len}` : 'was refused');
    if (tries > this.opts.maxRetries)
      return this.giveUp(
        step,
        'integrity',
        'TRANSFER_HASH_MISMATCH',
        `chunk ${index} of file ${file} ${what}, ${tries} times; giving up (the data is being corrupted)`,
      );
    this.io.send(encodeTransfer({ type: 'nack', id: this.id, file, index, reason: badLength ? 'length' : 'refused' }));
    return this.fail(step, code, `chunk ${index} of file ${file} ${what}; refetching (attempt ${tries})`, [
      { type: 'refetch', file, index },
    ]);
  }

  /**
   * A written chunk and its SHA-256 on its way (§12). Ahead of a gap it is held; else it and the
   * held ones after it count, are acked, and their records are queued, in order, into the file digest.
   */
  private async chunkWritten(
    { file, index }: TransferMessageOf<'chunk'>,
    r: ReceivingFile,
    len: number,
    sha: Promise<Uint8Array>,
  ): Promise<TransferResult> {
    const events: TransferEvent[] = [];
    if (index > r.verified) {
      r.buffered.set(index, sha);
      this.bufferedBytes += len;
      return { ok: true, events };
    }
    this.fold(r, index, len, sha);
    r.verified++;
    for (let b = r.buffered.get(r.verified); b; b = r.buffered.get(r.verified)) {
      r.buffered.delete(r.verified);
      const held = chunkLength(r.offer, r.verified);
      this.bufferedBytes -= held;
      this.fold(r, r.verified, held, b);
      r.verified++;
    }
    this.ack(file, r, r.verified === r.count);
    if (r.verified === r.count)
      r.folding = r.folding.then(() => {
        if (r.whole && r.hashed === r.count) r.written = r.whole.digest();
        r.whole = null;
      });
    if (r.verified === r.count && r.expected) {
      const bad = await this.finishFile(file, r, events);
      if (bad) return { ...bad, events };
    } else this.progressEvent(events, false);
    return { ok: true, events };
  }

  /** Queues chunk `index`'s record into the file digest, after the ones before it (§12). */
  private fold(r: ReceivingFile, index: number, len: number, sha: Promise<Uint8Array>): void {
    r.folding = r.folding.then(async () => {
      const d = await sha;
      r.whole?.update(chunkRecord(d, index, len));
      r.hashed = index + 1;
    });
    r.folding.catch(() => undefined); // seen by finishFile
  }

  /** A message dropped with a Failure (and `events`); the transfer goes on. */
  private fail(step: string, code: TransferErrorCode, why: string, events: TransferEvent[] = []): TransferResult {
    return { ...transferFailure(code, 'receiver', step, why, false), events };
  }

  /** Ends the transfer: tells the sender (cancel with `reason`) and fails with a fatal Failure. */
  private giveUp(step: string, reason: CancelReason, code: TransferErrorCode, why: string): TransferResult {
    const events = this.cancel(reason);
    this.st = 'failed';
    return { ...transferFailure(code, 'receiver', step, why, true), events };
  }

  /** Every chunk in and the sender's digest here: the file digest of what was written decides (§12). */
  private async finishFile(file: number, r: ReceivingFile, events: TransferEvent[]): Promise<TransferFailure | null> {
    try {
      await r.folding; // the last chunks' digests, off the thread
    } catch (e) {
      events.push(...this.cancel('error'));
      this.st = 'failed';
      return transferFailure(
        'TRANSFER_IO',
        'receiver',
        `file ${file}`,
        `hashing file ${file} failed: ${String(e)}`,
        true,
      );
    }
    if (r.done) return null;
    if (this.st !== 'active')
      return transferFailure(
        'TRANSFER_CANCELLED',
        'receiver',
        `file ${file}`,
        'ended while the last chunks were hashed',
      );
    const digest = r.written!; // taken once the last chunk's record was in (at once for an empty file)
    if (!equalBytes(digest, r.expected!)) {
      events.push(...this.cancel('integrity'));
      this.st = 'failed';
      return transferFailure(
        'TRANSFER_FILE_HASH_MISMATCH',
        'receiver',
        `file ${file}`,
        `every chunk of file ${file} arrived, but the digest of what was written differs from the sender's digest of what it read; the file is not kept`,
        true,
      );
    }
    r.done = true;
    events.push({ type: 'file-complete', file });
    const all = this.accepted.every((f) => this.rf[f]!.done);
    this.progressEvent(events, all);
    if (all) {
      this.st = 'done';
      this.stallResends = 0;
      this.io.send(encodeTransfer({ type: 'complete', id: this.id }));
      events.push({ type: 'complete' });
    }
    return null;
  }

  private progressEvent(events: TransferEvent[], force: boolean): void {
    const p = this.progress();
    const v = this.meter.update(this.io.now(), p.done, p.total, force);
    if (v) events.push({ type: 'progress', progress: v });
  }
}
