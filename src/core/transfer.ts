/**
 * File transfer, sending side (docs/files.md; DESIGN.md "files"). One offer carries one or more
 * files (name, type, size: no content hashes, so nothing is read before the offer); the receiver
 * accepts a subset; the sender sends each accepted file's chunks in order, hashing them in the
 * same pass as it reads them, and after a file's last chunk its whole-file SHA-256 (`digest`,
 * docs/files.md §11). It keeps at most `windowBytes` unacknowledged bytes in flight and asks
 * `canSend()` (the data channel's bufferedAmount) before each message, so nothing queues without
 * bound. The receiving side is `transfer-receiver.ts`; shared types are in `transfer-common.ts`.
 * This module is the entry point (it re-exports the rest) and handles the offer, accept, decline,
 * resume, complete and cancel messages; the state and the sending half (window fill, digests,
 * acks, refetches, probes) are `SenderFlow` in `transfer-sender-flow.ts`.
 *
 * I/O is injected (`readSlice`, `send`, `canSend`, `now`); the state is JSON (`toJSON`) so that
 * a page reload can restore it and resume. Calls are serialized internally.
 * @module
 */
import { equalBytes } from '@noble/ciphers/utils.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import {
  checkFileOffer,
  decodeTransfer,
  encodeTransfer,
  MAX_FILES,
  MAX_OFFER_BYTES,
  TRANSFER_ID_BYTES,
  type FileOffer,
  type TransferMessage,
  type TransferMessageOf,
} from './transfer-codec';
import { offerFromJson, offerToJson, type TransferEvent, type TransferResult } from './transfer-common';
import { SenderFlow, type Handled, type SenderIo, type SenderOptions, type SenderState } from './transfer-sender-flow';

export * from './transfer-common';
export * from './transfer-codec';
export type { SenderIo, SenderOptions, SenderState } from './transfer-sender-flow';
export { TransferReceiver, type ReceiverIo, type ReceiverOptions, type ReceiverState } from './transfer-receiver';

/**
 * Sending state machine (docs/files.md §2–3). `create` → `offer()`; feed every message from the
 * receiver to `receive()`; call `pump()` when the channel drains; `tick(now)` now and then;
 * persist `toJSON()` and `restore()` it after a reload.
 */
export class TransferSender extends SenderFlow {
  private constructor(io: SenderIo, id: Uint8Array, files: FileOffer[], opts: SenderOptions, s?: SenderState) {
    super(io, id, files, opts, s);
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
}
