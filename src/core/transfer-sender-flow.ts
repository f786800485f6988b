/**
 * File transfer, sending side: the sender's state and its sending half (docs/files.md §2–3, §11).
 * It fills the window (chunks in order, then each file's whole-file digest), keeps at most
 * `windowBytes` unacknowledged bytes in flight, asks `canSend()` before each message, takes acks
 * and refetches (nack → retransmit, up to `maxRetries`), and probes a silent receiver once
 * everything is sent (§3, "Lost messages"). The offer, accept, resume and cancel handling, the
 * JSON state and the public entry point are `TransferSender` in `transfer.ts`.
 * @module
 */
import {
  chunkCount,
  encodeTransfer,
  type CancelReason,
  type FileOffer,
  type TransferMessageOf,
} from './transfer-codec';
import {
  chunkLength,
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
export type Handled = TransferEvent[] | TransferResult;

/**
 * The sender's state and its sending half (docs/files.md §2–3): window fill, digests, acks,
 * refetches and probes. Extended by `TransferSender` (`transfer.ts`), which handles the rest.
 */
export abstract class SenderFlow {
  /** Transfer id (16 random bytes, chosen by the caller). */
  readonly id: Uint8Array;
  protected st: TransferStatus;
  protected readonly files: { offer: FileOffer }[];
  /** Reads chunks and keeps each file's running SHA-256 (docs/files.md §11). */
  protected readonly reader: HashingReader;
  /** Per file: whether its digest went out since the accept or the last resume. */
  protected digestSent: boolean[];
  protected accepted: number[];
  protected window: number;
  protected acked: number[];
  protected next: number[];
  /**
   * Per file: one past the highest chunk this sender has handed to the channel. A resume
   * lowers `next`, not this: chunks sent before it may still arrive, and the receiver's ack may
   * cover them (docs/files.md §3, "Resume overtaking chunks in flight").
   */
  protected sent: number[];
  /** False after a restore until the receiver's resume says where it stands. */
  protected synced: boolean;
  protected retransmit: { file: number; index: number }[] = [];
  private retries = new Map<string, number>();
  protected chain: Promise<unknown> = Promise.resolve();
  private pumping = false;
  protected lastActivity: number;
  /** Receiver's verified bytes at its last resume, and how many resumes in a row brought no progress. */
  protected resumeDone = -1;
  protected idleResumes = 0;
  /** Probes sent since the receiver was last heard (see {@link tick}). */
  protected probes = 0;
  private readonly meter: ProgressMeter;
  protected readonly opts: Required<SenderOptions>;

  protected constructor(
    protected readonly io: SenderIo,
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
    this.sent = [...this.acked];
    this.synced = !s;
    this.lastActivity = io.now();
    this.meter = new ProgressMeter(this.opts.progressIntervalMs);
  }

  get status(): TransferStatus {
    return this.st;
  }

  /** Cancels locally and tells the receiver. */
  cancel(reason: CancelReason = 'user'): TransferEvent[] {
    if (!this.live()) return [];
    this.st = 'cancelled';
    this.io.send(encodeTransfer({ type: 'cancel', id: this.id, reason }));
    return [{ type: 'cancelled', by: 'local', reason }];
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
  protected allSent(): boolean {
    return (
      this.synced &&
      !this.retransmit.length &&
      this.accepted.every((f) => this.next[f]! >= this.chunks(f) && this.digestSent[f])
    );
  }

  /** Sends the last accepted file's digest again (all digests are known once everything is sent). */
  protected probe(now: number): void {
    const f = this.accepted[this.accepted.length - 1]!;
    const sha256 = this.reader.knownDigest(f);
    if (!sha256) return;
    this.probes++;
    this.lastActivity = now;
    this.io.send(encodeTransfer({ type: 'digest', id: this.id, file: f, sha256 }));
  }

  protected live(): boolean {
    return this.st === 'offered' || this.st === 'active';
  }

  /** The receiver verified the first `verified` chunks of a file: they leave the window. */
  protected onAck(m: TransferMessageOf<'ack'>): Handled {
    if (this.st !== 'active' || !this.accepted.includes(m.file))
      return this.fail(m.type, 'TRANSFER_BAD_INDEX', `ack for file ${m.file}, which is not being sent`);
    if (m.verified > this.sent[m.file]!)
      return this.fail(
        m.type,
        'TRANSFER_BAD_ACK',
        `ack of ${m.verified} chunks of file ${m.file}, but only ${this.sent[m.file]} were sent`,
      );
    const events: TransferEvent[] = [];
    if (m.verified > this.acked[m.file]!) {
      this.acked[m.file] = m.verified;
      // Beyond what was sent again since a resume: chunks sent before it arrived; go on after them.
      this.next[m.file] = Math.max(this.next[m.file]!, m.verified);
      this.progressEvent(events, false);
    }
    return events;
  }

  /** A chunk was refused (sealed-chunk layer) or had the wrong length: send it again, up to `maxRetries` times. */
  protected onNack(m: TransferMessageOf<'nack'>): Handled {
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

  /** A message dropped with a Failure; the transfer goes on. */
  protected fail(step: string, code: TransferErrorCode, why: string): TransferResult {
    return { ...transferFailure(code, 'sender', step, why, false), events: [] };
  }

  /** Ends the transfer: tells the receiver (cancel with `reason`) and fails with a fatal Failure. */
  protected giveUp(step: string, reason: CancelReason, code: TransferErrorCode, why: string): TransferResult {
    const events = this.cancel(reason);
    this.st = 'failed';
    return { ...transferFailure(code, 'sender', step, why, true), events };
  }

  /** How many chunks file `f` has. */
  protected chunks(f: number): number {
    return chunkCount(this.files[f]!.offer.size, this.files[f]!.offer.chunkSize);
  }

  private inFlight(): number {
    let sum = 0;
    for (const f of this.accepted) sum += rangeBytes(this.files[f]!.offer, this.acked[f]!, this.next[f]!);
    return sum;
  }

  protected progressEvent(events: TransferEvent[], force: boolean): void {
    const p = this.progress();
    const v = this.meter.update(this.io.now(), p.done, p.total, force || p.done === p.total);
    if (v) events.push({ type: 'progress', progress: v });
  }

  protected async fill(): Promise<TransferResult> {
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
        this.sent[f] = Math.max(this.sent[f]!, index + 1);
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
