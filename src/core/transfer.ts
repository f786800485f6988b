/**
 * File transfer, sending side (docs/files.md; DESIGN.md "files"). One offer carries one or more
 * files (name, type, size: no content hashes, so nothing is read before the offer); the receiver
 * accepts a subset; the sender sends each accepted file's chunks in order, hashing them in the
 * same pass as it reads them, and after a file's last chunk its whole-file SHA-256 (`digest`,
 * docs/files.md §11). It keeps at most `windowBytes` unacknowledged bytes in flight and asks
 * `canSend()` (the data channel's bufferedAmount) before each message, so nothing queues without
 * bound. The receiving side is `transfer-receiver.ts`; shared types are in `transfer-common.ts`.
 *
 * I/O is injected (`readSlice`, `send`, `canSend`, `now`); the state is JSON (`toJSON`) so that
 * a page reload can restore it and resume. Calls are serialized internally.
 * @module
 */
import { equalBytes } from '@noble/ciphers/utils.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import {
  chunkCount,
  checkFileOffer,
  decodeTransfer,
  encodeTransfer,
  MAX_FILES,
  MAX_OFFER_BYTES,
  TRANSFER_ID_BYTES,
  type CancelReason,
  type FileOffer,
  type TransferMessage,
  type TransferMessageOf,
} from './transfer-codec';
import {
  chunkLength,
  offerFromJson,
  offerToJson,
  ProgressMeter,
  rangeBytes,
  resolveOptions,
  transferFailure,
  type FileOfferJson,
  type ReadSlice,
  type TransferErrorCode,
  type TransferEvent,
  type TransferResult,
  type TransferOptions,
  type TransferStatus,
} from './transfer-common';
import { HashingReader, type SavedHashing } from './transfer-sender-reader';
import { nobleChunkDigest, type ChunkDigest } from './file-digest';

export * from './transfer-common';
export * from './transfer-codec';
export { TransferReceiver, type ReceiverIo, type ReceiverOptions, type ReceiverState } from './transfer-receiver';

/** The sender's injected I/O (docs/files.md §2). */
export interface SenderIo {
  readSlice: ReadSlice;
  /** Hands one message to the channel (which may buffer it). */
  send: (bytes: Uint8Array) => void;
  /**
   * Hands one chunk to the channel as its place and bytes, for a channel that seals chunks itself
   * (docs/files.md §10); without it chunks go through `send` as `chunk` messages.
   */
  sendChunk?: (place: { id: Uint8Array; file: number; index: number; offset: number }, bytes: Uint8Array) => void;
  /** Whether the channel can take another message now (e.g. bufferedAmount below a mark). */
  canSend: () => boolean;
  now: () => number;
  /** SHA-256 of each chunk for the file digest (docs/files.md §12); @noble's by default, WebCrypto's in the app. */
  chunkDigest?: ChunkDigest;
}

/** Sender tuning; see {@link TransferOptions}. */
export type SenderOptions = TransferOptions;

/** The sender's JSON state (docs/files.md §3). */
export interface SenderState {
  v: 3;
  role: 'sender';
  id: string;
  status: TransferStatus;
  files: FileOfferJson[];
  accepted: number[];
  windowBytes: number;
  acked: number[];
  /** Per file: chunks hashed so far, the running hash's saved state (hex), the digest once all are. */
  hashing: SavedHashing[];
  options: Required<SenderOptions>;
}

/**
 * What a message handler returns: the events of a message that was taken (the window is filled
 * next), or the result to return as it is (a Failure, or an end such as decline or complete).
 */
type Handled = TransferEvent[] | TransferResult;

/**
 * Sending state machine (docs/files.md §2–3). `create` → `offer()`; feed every message from the
 * receiver to `receive()`; call `pump()` when the channel drains; `tick(now)` now and then;
 * persist `toJSON()` and `restore()` it after a reload.
 */
export class TransferSender {
  /** Transfer id (16 random bytes, chosen by the caller). */
  readonly id: Uint8Array;
  private st: TransferStatus;
  private readonly files: { offer: FileOffer }[];
  /** Reads chunks and keeps each file's running SHA-256 (docs/files.md §11). */
  private readonly reader: HashingReader;
  /** Per file: whether its digest went out since the accept or the last resume. */
  private digestSent: boolean[];
  private accepted: number[];
  private window: number;
  private acked: number[];
  private next: number[];
  /** False after a restore until the receiver's resume says where it stands. */
  private synced: boolean;
  private retransmit: { file: number; index: number }[] = [];
  private retries = new Map<string, number>();
  private chain: Promise<unknown> = Promise.resolve();
  private pumping = false;
  private lastActivity: number;
  /** Receiver's verified bytes at its last resume, and how many resumes in a row brought no progress. */
  private resumeDone = -1;
  private idleResumes = 0;
  /** Probes sent since the receiver was last heard (see {@link tick}). */
  private probes = 0;
  private readonly meter: ProgressMeter;
  private readonly opts: Required<SenderOptions>;

  private constructor(
    private readonly io: SenderIo,
    id: Uint8Array,
    files: FileOffer[],
    opts: SenderOptions,
    s?: SenderState,
  ) {
    this.id = id;
    this.files = files.map((offer) => ({ offer }));
    // Through `io` at each read: the I/O may be rewired after construction (a reopened file).
    const read: ReadSlice = (f, start, end) => io.readSlice(f, start, end);
    this.reader = new HashingReader(files, read, io.chunkDigest ?? nobleChunkDigest, s?.hashing);
    this.digestSent = files.map(() => false);
    this.opts = resolveOptions(opts);
    this.st = s?.status ?? 'offered';
    this.accepted = s?.accepted ?? [];
    this.window = s?.windowBytes ?? this.opts.windowBytes;
    this.acked = s?.acked ?? files.map(() => 0);
    this.next = [...this.acked];
    this.synced = !s;
    this.lastActivity = io.now();
    this.meter = new ProgressMeter(this.opts.progressIntervalMs);
  }

  /** A new transfer; call {@link offer} to send the offer. Throws on bad arguments. */
  static create(o: { id: Uint8Array; files: FileOffer[]; io: SenderIo } & SenderOptions): TransferSender {
    if (!(o.id instanceof Uint8Array) || o.id.length !== TRANSFER_ID_BYTES)
      throw new TypeError('id: expected 16 bytes');
    if (!Array.isArray(o.files) || o.files.length < 1 || o.files.length > MAX_FILES)
      throw new RangeError(`files: 1..${MAX_FILES} file descriptions`);
    o.files.forEach((f, i) => checkFileOffer(f, `files[${i}]`));
    const size = encodeTransfer({ type: 'offer', id: o.id, files: o.files }).length;
    if (size > MAX_OFFER_BYTES)
      throw new RangeError(
        `files: the offer takes ${size} bytes, more than ${MAX_OFFER_BYTES}; split the files over several offers`,
      );
    const { windowBytes, maxRetries, stallMs, maxStalls, progressIntervalMs } = o;
    return new TransferSender(o.io, o.id.slice(), [...o.files], {
      windowBytes,
      maxRetries,
      stallMs,
      maxStalls,
      progressIntervalMs,
    });
  }

  /** Restores a sender from {@link toJSON}; it waits for the receiver's resume before sending. */
  static restore(state: SenderState, io: SenderIo): TransferSender {
    if (state?.v !== 3 || state.role !== 'sender') throw new TypeError('state: not a saved TransferSender (v3)');
    return new TransferSender(io, hexToBytes(state.id), state.files.map(offerFromJson), state.options, state);
  }

  get status(): TransferStatus {
    return this.st;
  }

  toJSON(): SenderState {
    return {
      v: 3,
      role: 'sender',
      id: bytesToHex(this.id),
      status: this.st,
      files: this.files.map((f) => offerToJson(f.offer)),
      accepted: [...this.accepted],
      windowBytes: this.window,
      acked: [...this.acked],
      hashing: this.reader.toJSON(),
      options: { ...this.opts },
    };
  }

  /** Sends (or re-sends) the offer. */
  offer(): void {
    if (this.st !== 'offered') throw new Error(`offer: transfer is ${this.st}`);
    this.lastActivity = this.io.now();
    this.io.send(encodeTransfer({ type: 'offer', id: this.id, files: this.files.map((f) => f.offer) }));
  }

  /** Cancels locally and tells the receiver. */
  cancel(reason: CancelReason = 'user'): TransferEvent[] {
    if (!this.live()) return [];
    this.st = 'cancelled';
    this.io.send(encodeTransfer({ type: 'cancel', id: this.id, reason }));
    return [{ type: 'cancelled', by: 'local', reason }];
  }

  /** Handles one message from the receiver (bytes or decoded), then sends what the window allows. */
  receive(input: Uint8Array | TransferMessage): Promise<TransferResult> {
    const run = this.chain.then(() => this.handle(input));
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Sends chunks and digests while the window and `canSend()` allow; call when the channel drains. */
  pump(): Promise<TransferResult> {
    const run = this.chain.then(() => this.fill());
    this.chain = run.catch(() => undefined);
    return run;
  }

  /**
   * Re-sends the offer when it went unanswered for `stallMs`. Once everything is sent, a receiver
   * silent for `stallMs` is probed with a file's digest again, which a finished receiver answers
   * with `complete` again (its own repeats of `complete` may all be lost); at most `maxStalls`
   * probes in a row (docs/files.md §3, "Lost messages").
   */
  tick(now: number): void {
    if (now - this.lastActivity < this.opts.stallMs) return;
    if (this.st === 'offered') this.offer();
    else if (this.st === 'active' && this.allSent() && this.probes < this.opts.maxStalls) this.probe(now);
  }

  /** Current progress (acknowledged verified bytes of the accepted files). */
  progress(): { done: number; total: number } {
    let done = 0,
      total = 0;
    for (const f of this.accepted) {
      const o = this.files[f]!.offer;
      total += o.size;
      done += rangeBytes(o, 0, this.acked[f]!);
    }
    return { done, total };
  }

  /** Synced, and every chunk and digest of the accepted files handed to the channel. */
  private allSent(): boolean {
    return (
      this.synced &&
      !this.retransmit.length &&
      this.accepted.every((f) => this.next[f]! >= this.chunks(f) && this.digestSent[f])
    );
  }

  /** Sends the last accepted file's digest again (all digests are known once everything is sent). */
  private probe(now: number): void {
    const f = this.accepted[this.accepted.length - 1]!;
    const sha256 = this.reader.knownDigest(f);
    if (!sha256) return;
    this.probes++;
    this.lastActivity = now;
    this.io.send(encodeTransfer({ type: 'digest', id: this.id, file: f, sha256 }));
  }

  private live(): boolean {
    return this.st === 'offered' || this.st === 'active';
  }

  private async handle(input: Uint8Array | TransferMessage): Promise<TransferResult> {
    const d = input instanceof Uint8Array ? decodeTransfer(input, 'sender') : { ok: true as const, message: input };
    if (!d.ok) return { ...d, fatal: false, events: [] };
    const handled = this.dispatch(d.message);
    if (!Array.isArray(handled)) return handled;
    const r = await this.fill();
    return { ...r, events: [...handled, ...r.events] };
  }

  /** Drops what is not for this transfer or comes too late, then calls the method for the message's type. */
  private dispatch(m: TransferMessage): Handled {
    if (!equalBytes(m.id, this.id))
      return this.fail(m.type, 'TRANSFER_UNKNOWN_ID', 'message for another transfer id; dropped');
    if (m.type === 'cancel') return this.onCancel(m);
    if (this.st === 'cancelled')
      return this.fail(m.type, 'TRANSFER_CANCELLED', 'the transfer was cancelled; message dropped');
    if (this.st === 'done' && m.type === 'resume') return this.lateResume(m);
    if (!this.live())
      return this.fail(m.type, 'TRANSFER_UNEXPECTED', `${m.type} after the transfer ended (${this.st}); dropped`);
    this.lastActivity = this.io.now();
    this.probes = 0;
    switch (m.type) {
      case 'accept':
        return this.onAccept(m);
      case 'decline':
        return this.onDecline(m);
      case 'ack':
        return this.onAck(m);
      case 'nack':
        return this.onNack(m);
      case 'resume':
        return this.onResume(m);
      case 'complete':
        return this.onComplete();
      default:
        return this.fail(m.type, 'TRANSFER_UNEXPECTED', `${m.type} is a message for the receiving side; dropped`);
    }
  }

  private onCancel(m: TransferMessageOf<'cancel'>): TransferResult {
    if (!this.live()) return { ok: true, events: [] };
    this.st = 'cancelled';
    return { ok: true, events: [{ type: 'cancelled', by: 'peer', reason: m.reason }] };
  }

  /** The receiver's answer to the offer: the files it wants (none = declined) and its window. */
  private onAccept(m: TransferMessageOf<'accept'>): Handled {
    const n = this.files.length;
    if (this.st !== 'offered') return this.fail(m.type, 'TRANSFER_UNEXPECTED', 'duplicate accept; dropped');
    if (m.files.some((f) => f >= n))
      return this.fail(m.type, 'TRANSFER_BAD_INDEX', `accept names a file index ≥ ${n}; the receiver is broken`);
    if (m.windowBytes < 1) return this.fail(m.type, 'TRANSFER_UNEXPECTED', 'accept with a zero window');
    if (m.files.length === 0) {
      this.st = 'declined';
      return { ok: true, events: [{ type: 'declined', reason: 'user' }] };
    }
    this.st = 'active';
    this.accepted = m.files;
    this.window = Math.min(this.opts.windowBytes, m.windowBytes);
    this.synced = true; // an accept starts from nothing; a receiver with progress follows it with a resume
    return [{ type: 'accepted', files: [...m.files] }];
  }

  private onDecline(m: TransferMessageOf<'decline'>): TransferResult {
    if (this.st !== 'offered') return this.fail(m.type, 'TRANSFER_UNEXPECTED', 'decline after accept; dropped');
    this.st = 'declined';
    return { ok: true, events: [{ type: 'declined', reason: m.reason }] };
  }

  /** The receiver verified the first `verified` chunks of a file: they leave the window. */
  private onAck(m: TransferMessageOf<'ack'>): Handled {
    if (this.st !== 'active' || !this.accepted.includes(m.file))
      return this.fail(m.type, 'TRANSFER_BAD_INDEX', `ack for file ${m.file}, which is not being sent`);
    if (m.verified > this.next[m.file]!)
      return this.fail(
        m.type,
        'TRANSFER_BAD_ACK',
        `ack of ${m.verified} chunks of file ${m.file}, but only ${this.next[m.file]} were sent`,
      );
    const events: TransferEvent[] = [];
    if (m.verified > this.acked[m.file]!) {
      this.acked[m.file] = m.verified;
      this.progressEvent(events, false);
    }
    return events;
  }

  /** A chunk was refused (sealed-chunk layer) or had the wrong length: send it again, up to `maxRetries` times. */
  private onNack(m: TransferMessageOf<'nack'>): Handled {
    if (this.st !== 'active' || !this.accepted.includes(m.file))
      return this.fail(m.type, 'TRANSFER_BAD_INDEX', `refetch for file ${m.file}, which is not being sent`);
    if (m.index >= this.next[m.file]! || m.index < this.acked[m.file]!)
      return this.fail(
        m.type,
        'TRANSFER_BAD_INDEX',
        `refetch of chunk ${m.index} of file ${m.file}, which is not in flight`,
      );
    const key = `${m.file}:${m.index}`,
      tries = (this.retries.get(key) ?? 0) + 1;
    this.retries.set(key, tries);
    if (tries > this.opts.maxRetries)
      return this.giveUp(
        m.type,
        'integrity',
        'TRANSFER_HASH_MISMATCH',
        `chunk ${m.index} of file ${m.file} was refused ${tries} times; the path corrupts data`,
      );
    if (!this.retransmit.some((r) => r.file === m.file && r.index === m.index))
      this.retransmit.push({ file: m.file, index: m.index });
    return [{ type: 'refetch', file: m.file, index: m.index }];
  }

  /**
   * Where the receiver stands after a reconnect or reload: sending restarts from there. Resumes
   * that bring no progress `maxStalls` times in a row end the transfer.
   */
  private onResume(m: TransferMessageOf<'resume'>): Handled {
    if (this.st !== 'active')
      return this.fail(m.type, 'TRANSFER_UNEXPECTED', 'resume before accept; dropped (the offer will be re-sent)');
    const files = m.files.map((e) => e.file);
    if (files.length !== this.accepted.length || files.some((f, i) => f !== this.accepted[i]))
      return this.fail(m.type, 'TRANSFER_BAD_INDEX', 'resume lists other files than were accepted');
    for (const e of m.files) {
      const count = this.chunks(e.file);
      if (e.verified > count)
        return this.fail(m.type, 'TRANSFER_SIZE_OVERFLOW', `resume position beyond file ${e.file}`);
    }
    this.retransmit = [];
    for (const e of m.files) {
      this.acked[e.file] = e.verified;
      this.next[e.file] = e.verified;
      this.digestSent[e.file] = false; // cheap to repeat; a receiver that has it drops it
    }
    this.synced = true;
    const done = this.progress().done;
    this.idleResumes = done > this.resumeDone ? 0 : this.idleResumes + 1;
    this.resumeDone = done;
    if (this.idleResumes > this.opts.maxStalls)
      return this.giveUp(
        m.type,
        'timeout',
        'TRANSFER_STALLED',
        `${this.idleResumes} resumes in a row without progress; the path loses everything`,
      );
    const events: TransferEvent[] = [];
    this.progressEvent(events, false);
    return events;
  }

  /**
   * A resume after `complete`: from a receiver that is done too (a late duplicate) it is dropped;
   * one that says a file is unfinished cannot be served (this side is done and may have let its
   * files go), so the receiver is told at once (`cancel(error)`) instead of stalling for
   * `maxStalls` periods (docs/files.md §3).
   */
  private lateResume(m: TransferMessageOf<'resume'>): TransferResult {
    const behind = m.files.some((e) => this.accepted.includes(e.file) && e.verified < this.chunks(e.file));
    if (behind) this.io.send(encodeTransfer({ type: 'cancel', id: this.id, reason: 'error' }));
    const why = behind
      ? 'resume of an unfinished file after the transfer completed; told the receiver it is over (cancel)'
      : 'resume after the transfer completed; dropped';
    return this.fail(m.type, 'TRANSFER_UNEXPECTED', why);
  }

  /** The receiver has verified every file. */
  private onComplete(): TransferResult {
    if (this.st !== 'active' || this.accepted.some((f) => this.next[f]! < this.chunks(f)))
      return this.fail('complete', 'TRANSFER_BAD_ACK', 'complete before every chunk was sent; dropped');
    for (const f of this.accepted) this.acked[f] = this.next[f]!;
    this.st = 'done';
    const events: TransferEvent[] = [];
    this.progressEvent(events, true);
    events.push({ type: 'complete' });
    return { ok: true, events };
  }

  /** A message dropped with a Failure; the transfer goes on. */
  private fail(step: string, code: TransferErrorCode, why: string): TransferResult {
    return { ...transferFailure(code, 'sender', step, why, false), events: [] };
  }

  /** Ends the transfer: tells the receiver (cancel with `reason`) and fails with a fatal Failure. */
  private giveUp(step: string, reason: CancelReason, code: TransferErrorCode, why: string): TransferResult {
    const events = this.cancel(reason);
    this.st = 'failed';
    return { ...transferFailure(code, 'sender', step, why, true), events };
  }

  /** How many chunks file `f` has. */
  private chunks(f: number): number {
    return chunkCount(this.files[f]!.offer.size, this.files[f]!.offer.chunkSize);
  }

  private inFlight(): number {
    let sum = 0;
    for (const f of this.accepted) sum += rangeBytes(this.files[f]!.offer, this.acked[f]!, this.next[f]!);
    return sum;
  }

  private progressEvent(events: TransferEvent[], force: boolean): void {
    const p = this.progress();
    const v = this.meter.update(this.io.now(), p.done, p.total, force || p.done === p.total);
    if (v) events.push({ type: 'progress', progress: v });
  }

  private async fill(): Promise<TransferResult> {
    if (this.st !== 'active' || !this.synced || this.pumping) return { ok: true, events: [] };
    this.pumping = true;
    try {
      while (this.st === 'active' && this.io.canSend()) {
        const r = this.retransmit.shift();
        if (r) {
          if (r.index >= this.acked[r.file]!) await this.sendChunk(r.file, r.index);
          continue;
        }
        const f = this.accepted.find((x) => this.next[x]! < this.chunks(x) || !this.digestSent[x]);
        if (f === undefined) break;
        if (this.next[f]! >= this.chunks(f)) {
          await this.sendDigest(f);
          continue;
        }
        const len = chunkLength(this.files[f]!.offer, this.next[f]!);
        const flying = this.inFlight();
        if (flying > 0 && flying + len > this.window) break;
        const index = this.next[f]!;
        await this.reader.catchUp(f, index); // a restored sender whose saved hash is behind the receiver
        this.next[f] = index + 1;
        await this.sendChunk(f, index);
      }
    } catch (e) {
      return this.giveUp('read', 'error', 'TRANSFER_IO', `reading the file failed: ${String(e)}`);
    } finally {
      this.pumping = false;
    }
    return { ok: true, events: [] };
  }

  /** After a file's last chunk: its whole-file SHA-256, which the receiver compares with what it wrote. */
  private async sendDigest(file: number): Promise<void> {
    const sha256 = await this.reader.digest(file);
    if (this.st !== 'active') return;
    this.digestSent[file] = true;
    this.io.send(encodeTransfer({ type: 'digest', id: this.id, file, sha256 }));
  }

  private async sendChunk(file: number, index: number): Promise<void> {
    const o = this.files[file]!.offer,
      start = index * o.chunkSize;
    const bytes = await this.reader.read(file, index);
    if (this.st !== 'active') return;
    if (this.io.sendChunk) this.io.sendChunk({ id: this.id, file, index, offset: start }, bytes);
    else this.io.send(encodeTransfer({ type: 'chunk', id: this.id, file, index, bytes }));
  }
}
