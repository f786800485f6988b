/**
 * File transfer, receiving side (docs/files.md). Created from an offer; the caller accepts some
 * files or declines. Each chunk arrives authenticated by the sealed-chunk layer (file key, bound
 * to its transfer, file, index and offset: §10), hashed (`ReceiverIo.chunkDigest`), written
 * through `writeChunk` at once (in any order within the window), and its digest folded in file
 * order into the file digest (§12). A file is reported complete only when every chunk is in and
 * that digest equals the sender's `digest` of what it read (§11, §12). A refused chunk is
 * refetched (nack) up to `maxRetries` times. The state is JSON (`toJSON`): the verified prefix of
 * each file, the file digest's midstate and the sender's digest, so a reload resumes from there.
 * This module holds the life cycle (offer, accept, decline, resume, ticks, dispatch); the chunk
 * path (writes, acks, refetches) is `ReceiverChunks` in `transfer-receiver-chunks.ts`, and the
 * state, file completion and failures are `ReceiverCore` in `transfer-receiver-core.ts`.
 * @module
 */
import { equalBytes } from '@noble/ciphers/utils.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import {
  decodeTransfer,
  encodeTransfer,
  type DeclineReason,
  type FileOffer,
  type TransferMessage,
  type TransferMessageOf,
} from './transfer-codec';
import {
  offerFromJson,
  offerToJson,
  transferFailure,
  type TransferFailure,
  type TransferResult,
} from './transfer-common';
import {
  loadFile,
  newFile,
  saveFile,
  type ReceiverIo,
  type ReceiverOptions,
  type ReceiverState,
} from './transfer-receive-file';
import { ReceiverChunks } from './transfer-receiver-chunks';

export type { ReceiverIo, ReceiverOptions, ReceiverState } from './transfer-receive-file';

/**
 * Receiving state machine (docs/files.md §3). `fromOffer` → `accept()`/`decline()`; feed every
 * message from the sender to `receive()`; `tick(now)` now and then; persist `toJSON()`, and
 * after a reload `restore()` it and call `resume()`.
 */
export class TransferReceiver extends ReceiverChunks {
  private constructor(io: ReceiverIo, id: Uint8Array, files: FileOffer[], opts: ReceiverOptions) {
    super(io, id, files, opts);
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
   * Sends the acks held back (docs/files.md §14), and a resume when nothing verified for
   * `stallMs` (a lost message; at most 3 times in a row once done). After `maxStalls` such
   * periods in a row the transfer fails: TRANSFER_STALLED.
   */
  tick(now: number): TransferFailure | null {
    this.flushAcks();
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
}
