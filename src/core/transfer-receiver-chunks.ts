/**
 * File transfer, receiving side: chunks, acks and refetches (docs/files.md §2, §10, §12). Each
 * chunk arrives authenticated by the sealed-chunk layer (§10), is checked against the window and
 * its place, hashed (`ReceiverIo.chunkDigest`), written through `writeChunk` at once (in any order
 * within the window), and its digest folded in file order into the file digest (§12). Verified
 * prefixes are acked cumulatively (§2); a refused or misshapen chunk is refetched (nack) up to
 * `maxRetries` times. Built on `ReceiverCore` (`transfer-receiver-core.ts`).
 * @module
 */
import { chunkRecord, nobleChunkDigest } from './file-digest';
import { encodeTransfer, type TransferMessageOf } from './transfer-codec';
import {
  chunkLength,
  FOLLOWED_WINDOW_BYTES,
  rangeBytes,
  type TransferErrorCode,
  type TransferEvent,
  type TransferResult,
} from './transfer-common';
import type { ReceivingFile } from './transfer-receive-file';
import { ReceiverCore } from './transfer-receiver-core';

const NO_BYTES = new Uint8Array(0);

/** The receiver's chunk path: write, count in order, ack, refetch (docs/files.md §2, §10, §12). Extended by `TransferReceiver`. */
export abstract class ReceiverChunks extends ReceiverCore {
  private bufferedBytes = 0;
  private attempts = new Map<string, number>();
  /** Messages given to `receive` and not yet handled; files with verified chunks not yet acknowledged. */
  protected queued = 0;
  private readonly unacked = new Set<number>();
  /** Files that got a chunk below their verified prefix in this batch: their prefix is acked again at its end. */
  private readonly reacks = new Set<number>();

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
   * acknowledged once it grew by a quarter of the window since the last ack, when the file is
   * complete, or — unless the sender takes this side's window (`holdAcks`, §14) — once no further
   * message waits in this receiver's queue. Not once per chunk.
   */
  private ack(file: number, r: ReceivingFile, force: boolean): void {
    const unacked = rangeBytes(r.offer, r.acked, r.verified);
    if (unacked === 0) return;
    const holding = this.holding();
    const quarter = (holding ? Math.min(this.opts.windowBytes, FOLLOWED_WINDOW_BYTES) : this.opts.windowBytes) / 4;
    if (!force && (this.queued > 1 || holding) && unacked < quarter) {
      this.unacked.add(file);
      return;
    }
    this.unacked.delete(file);
    r.acked = r.verified;
    this.io.send(encodeTransfer({ type: 'ack', id: this.id, file, verified: r.verified }));
  }

  /**
   * At the end of a batch (no message waits in the queue): the acks held back, then one ack again
   * of the verified prefix of each file that got a chunk below it — a sender that sends what this
   * side verified long ago is behind (it reloaded and refused the ack that jumped past what it had
   * sent since: docs/files.md §3, "A reloaded sender behind the receiver"). At most one re-ack per
   * file per batch, and only for a duplicate chunk in it: never more re-acks than duplicates received.
   */
  protected sendAcks(): void {
    const reacks = [...this.reacks];
    this.reacks.clear();
    if (this.st !== 'active' && this.st !== 'done') return;
    const held = this.holding() ? [] : [...this.unacked];
    for (const f of held) this.ack(f, this.rf[f]!, true);
    for (const f of reacks)
      if (!held.includes(f))
        this.io.send(encodeTransfer({ type: 'ack', id: this.id, file: f, verified: this.rf[f]!.verified }));
  }

  /** Whether acks wait for a quarter of the window rather than the end of a batch (`ReceiverIo.holdAcks`, §14). */
  private holding(): boolean {
    return this.io.holdAcks?.() === true;
  }

  /**
   * The acks held back, sent now (at each `tick`): an ack held for a quarter of the window waits
   * at most one tick, whatever the sender does — the bound that keeps a sender whose window is
   * smaller than it promised (a broken peer) moving.
   */
  protected flushAcks(): void {
    if (this.st !== 'active') return;
    for (const f of [...this.unacked]) this.ack(f, this.rf[f]!, true);
  }

  /** A chunk (already authenticated by the sealed-chunk layer): checked against the window and its place, written, then counted in order. */
  protected async onChunk(m: TransferMessageOf<'chunk'>, r: ReceivingFile, step: string): Promise<TransferResult> {
    const { file, index, bytes } = m;
    const unwanted = this.unwantedChunk(m, r);
    if (unwanted) {
      if (index < r.verified) this.reacks.add(file); // the sender is behind this side: tell it again (sendAcks)
      return this.fail(step, unwanted.code, unwanted.why);
    }
    const len = chunkLength(r.offer, index);
    const badLength = bytes.length !== len;
    if (m.offset !== undefined && m.offset !== index * r.offer.chunkSize)
      return this.refetch(m, step, len, false, `was sealed for offset ${m.offset}, not ${index * r.offer.chunkSize}`);
    if (badLength) return this.refetch(m, step, len, true);
    let chunkSha: Promise<Uint8Array>;
    try {
      chunkSha = (await this.write(file, index * r.offer.chunkSize, bytes)).sha;
    } catch (e) {
      return this.giveUp(step, 'error', 'TRANSFER_IO', `writing file ${file} failed: ${String(e)}`);
    }
    if (this.st !== 'active') return this.fail(step, 'TRANSFER_CANCELLED', 'cancelled while writing');
    this.lastProgress = this.io.now();
    this.stallResends = 0;
    return this.chunkWritten(m, r, len, chunkSha);
  }

  /**
   * Writes a chunk; resolves, once written, with its SHA-256 (§12) — given by the write itself
   * (`writeChunkDigest`, §14) or on its way from `chunkDigest`, which takes what it needs from
   * `bytes` before the write may take them, finishes off the thread, and is waited for only by
   * the file's last step (finishFile).
   */
  private async write(file: number, offset: number, bytes: Uint8Array): Promise<{ sha: Promise<Uint8Array> }> {
    if (this.io.writeChunkDigest) {
      const sha = await this.io.writeChunkDigest(file, offset, bytes);
      if (!(sha instanceof Uint8Array) || sha.length !== 32)
        throw new TypeError(
          `writeChunkDigest gave ${sha instanceof Uint8Array ? sha.length : typeof sha}, not 32 bytes`,
        );
      return { sha: Promise.resolve(sha) };
    }
    const sha = (this.io.chunkDigest ?? nobleChunkDigest)(bytes);
    sha.catch(() => undefined); // seen through `folding`
    await this.io.writeChunk(file, offset, bytes);
    return { sha };
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
}
