/**
 * File transfer, receiving side: the receiver's state and how a file ends (docs/files.md §3,
 * §11, §12). Keeps the sender's digest of each file (`digest`) and, once every chunk is in,
 * compares it with the file digest of what was written; reports progress; ends the transfer
 * (cancel, failure). Chunks, acks and refetches are `ReceiverChunks` (`transfer-receiver-chunks.ts`);
 * the life cycle (offer, accept, resume, ticks) and the public entry point are `TransferReceiver`
 * (`transfer-receiver.ts`).
 * @module
 */
import { equalBytes } from '@noble/ciphers/utils.js';
import { encodeTransfer, type CancelReason, type FileOffer, type TransferMessageOf } from './transfer-codec';
import {
  resolveOptions,
  ProgressMeter,
  rangeBytes,
  transferFailure,
  type TransferErrorCode,
  type TransferEvent,
  type TransferFailure,
  type TransferResult,
  type TransferStatus,
} from './transfer-common';
import type { ReceiverIo, ReceiverOptions, ReceivingFile } from './transfer-receive-file';

/**
 * The receiver's state, file completion and failures (docs/files.md §3, §11, §12). Extended by
 * `ReceiverChunks` and then `TransferReceiver`.
 */
export abstract class ReceiverCore {
  readonly id: Uint8Array;
  readonly files: readonly FileOffer[];
  protected st: TransferStatus;
  protected accepted: number[] = [];
  protected rf: (ReceivingFile | null)[];
  protected chain: Promise<unknown> = Promise.resolve();
  protected lastProgress: number;
  protected stallResends = 0;
  private readonly meter: ProgressMeter;
  protected readonly opts: Required<ReceiverOptions>;

  protected constructor(
    protected readonly io: ReceiverIo,
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

  get status(): TransferStatus {
    return this.st;
  }

  cancel(reason: CancelReason = 'user'): TransferEvent[] {
    if (this.st !== 'offered' && this.st !== 'active') return [];
    this.st = 'cancelled';
    this.io.send(encodeTransfer({ type: 'cancel', id: this.id, reason }));
    return [{ type: 'cancelled', by: 'local', reason }];
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

  protected serial(fn: () => Promise<TransferResult>): Promise<TransferResult> {
    const run = this.chain.then(fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /**
   * The sender's SHA-256 of what it read of a file (docs/files.md §11): kept, and compared with
   * the hash of what was written once every chunk is in. A second, different digest for the same
   * file means the sender read other bytes (its file changed): the transfer fails.
   */
  protected async onDigest(m: TransferMessageOf<'digest'>, r: ReceivingFile, step: string): Promise<TransferResult> {
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

  /** A message dropped with a Failure (and `events`); the transfer goes on. */
  protected fail(step: string, code: TransferErrorCode, why: string, events: TransferEvent[] = []): TransferResult {
    return { ...transferFailure(code, 'receiver', step, why, false), events };
  }

  /** Ends the transfer: tells the sender (cancel with `reason`) and fails with a fatal Failure. */
  protected giveUp(step: string, reason: CancelReason, code: TransferErrorCode, why: string): TransferResult {
    const events = this.cancel(reason);
    this.st = 'failed';
    return { ...transferFailure(code, 'receiver', step, why, true), events };
  }

  /** Every chunk in and the sender's digest here: the file digest of what was written decides (§12). */
  protected async finishFile(file: number, r: ReceivingFile, events: TransferEvent[]): Promise<TransferFailure | null> {
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

  protected progressEvent(events: TransferEvent[], force: boolean): void {
    const p = this.progress();
    const v = this.meter.update(this.io.now(), p.done, p.total, force);
    if (v) events.push({ type: 'progress', progress: v });
  }
}
