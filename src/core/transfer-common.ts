/**
 * Shared pieces of the file-transfer state machines (docs/files.md): failure codes, events,
 * hashing (per-chunk digest, resumable whole-file SHA-256), progress metering and the sender's
 * preparation pass that computes an offer's hashes.
 * @module
 */
import { _SHA256, sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { failure, type Failure, type Side } from './errors';
import {
  chunkCount,
  type CancelReason,
  type DeclineReason,
  type FileOffer,
  type TransferCodecErrorCode,
} from './transfer-codec';

/** Default bound on unacknowledged bytes in flight (docs/files.md §2). */
export const DEFAULT_WINDOW_BYTES = 4 * 1024 * 1024;
/** Default chunk size: the largest multiple of 64 whose chunk message, with 40 bytes to spare
 *  for the wire envelope, fits a 64 KiB frame payload (docs/files.md §2). */
export const DEFAULT_CHUNK_SIZE = 65472;
/** Refetches of one chunk before the transfer fails. */
export const DEFAULT_MAX_RETRIES = 3;
/** Without progress for this long, the offer is sent again (sender) or a resume (receiver). */
export const DEFAULT_STALL_MS = 10_000;

/** Tuning shared by both sides (docs/files.md §2–3). */
export interface TransferOptions {
  /** Sender: most unacknowledged chunk bytes in flight. Receiver: the window it advertises (and its buffer bound). */
  windowBytes?: number;
  /** Refetches of one chunk (or hash list) before the transfer fails. */
  maxRetries?: number;
  /** Without progress for this long, the offer (sender) or a resume (receiver) is sent again. */
  stallMs?: number;
  /** Consecutive stall periods without progress before the transfer fails with TRANSFER_STALLED. */
  maxStalls?: number;
  /** Least time between two progress events. */
  progressIntervalMs?: number;
}

/** Options with their defaults filled in; throws on nonsense values (programmer mistakes). */
export function resolveOptions(o: TransferOptions = {}): Required<TransferOptions> {
  const r = {
    windowBytes: o.windowBytes ?? DEFAULT_WINDOW_BYTES,
    maxRetries: o.maxRetries ?? DEFAULT_MAX_RETRIES,
    stallMs: o.stallMs ?? DEFAULT_STALL_MS,
    maxStalls: o.maxStalls ?? 20,
    progressIntervalMs: o.progressIntervalMs ?? 250,
  };
  if (!Number.isInteger(r.windowBytes) || r.windowBytes < 1 || r.windowBytes > 0xffffffff)
    throw new RangeError('windowBytes: integer in 1..2^32-1');
  for (const k of ['maxRetries', 'stallMs', 'maxStalls', 'progressIntervalMs'] as const)
    if (!Number.isInteger(r[k]) || r[k] < 0) throw new RangeError(`${k}: non-negative integer`);
  return r;
}

/** Stable codes of transfer failures (docs/files.md §4). */
export type TransferErrorCode =
  | TransferCodecErrorCode
  | 'TRANSFER_UNKNOWN_ID' // a message for another transfer
  | 'TRANSFER_UNEXPECTED' // a message that makes no sense in this state or for this side
  | 'TRANSFER_BAD_INDEX' // file index out of range or not accepted, chunk not sent, …
  | 'TRANSFER_SIZE_OVERFLOW' // chunk or hash beyond the declared size
  | 'TRANSFER_CHUNK_LENGTH' // chunk of the wrong length for its index (refetched)
  | 'TRANSFER_DUPLICATE' // chunk already verified
  | 'TRANSFER_WINDOW_EXCEEDED' // chunk beyond the receiver's window
  | 'TRANSFER_BAD_ACK' // ack/complete for chunks never sent
  | 'TRANSFER_HASH_MISMATCH' // chunk failed its hash (refetched; fatal past the retry limit)
  | 'TRANSFER_HASH_LIST_MISMATCH' // hash list does not match the offer's root (fatal past the retry limit)
  | 'TRANSFER_FILE_HASH_MISMATCH' // all chunks verified but the whole-file SHA-256 differs (fatal)
  | 'TRANSFER_CANCELLED' // the transfer was cancelled (by either side)
  | 'TRANSFER_STALLED' // no progress through `maxStalls` stall periods (fatal)
  | 'TRANSFER_IO'; // readSlice/writeChunk failed locally (fatal)

/**
 * A transfer failure. `fatal: false` means the offending message was dropped and the transfer
 * goes on unharmed; `fatal: true` means the transfer is over (status `failed` or `cancelled`).
 */
export type TransferFailure = Failure<TransferErrorCode> & { readonly fatal: boolean };

/** Builds a {@link TransferFailure}. */
export function transferFailure(
  code: TransferErrorCode,
  side: Side,
  step: string,
  message: string,
  fatal = false,
): TransferFailure {
  return { ...failure(code, side, step, message), fatal };
}

/** Progress of a transfer (docs/files.md §2). */
export interface Progress {
  /** Bytes verified (receiver) or acknowledged as verified (sender). */
  done: number;
  total: number;
  /** Bytes per second over the last few seconds, from the injected clock. */
  speed: number;
  /** Milliseconds left at the current speed, or null while the speed is unknown. */
  etaMs: number | null;
}

/** What happened, for the UI (docs/files.md §2–3). `file-complete` only after both hash checks. */
export type TransferEvent =
  | { type: 'accepted'; files: number[] }
  | { type: 'declined'; reason: DeclineReason }
  | { type: 'progress'; progress: Progress }
  | { type: 'refetch'; file: number; index: number }
  | { type: 'file-complete'; file: number }
  | { type: 'complete' }
  | { type: 'cancelled'; by: 'local' | 'peer'; reason: CancelReason };

/** What `receive`, `accept`, `tick`… return: events, or a failure (with any events before it). */
export type TransferResult = { ok: true; events: TransferEvent[] } | (TransferFailure & { events: TransferEvent[] });

/** Life cycle of either side: offered → active → done, or declined / cancelled / failed. */
export type TransferStatus = 'offered' | 'active' | 'done' | 'declined' | 'cancelled' | 'failed';

/** Digest of one chunk: SHA-256, computed by WebCrypto when present (native), else by @noble. */
export type ChunkDigest = (bytes: Uint8Array) => Promise<Uint8Array>;

/** SHA-256 through WebCrypto (`crypto.subtle.digest`), falling back to @noble/hashes. */
export const defaultDigest: ChunkDigest = async (bytes) => {
  const subtle = (globalThis as { crypto?: Crypto }).crypto?.subtle;
  if (!subtle) return sha256(bytes);
  return new Uint8Array(await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
};

/** @noble SHA-256 whose state at a 64-byte boundary can be saved as JSON and restored. */
export class ResumableSha256 extends _SHA256 {
  /** JSON midstate; throws unless the hashed length is a multiple of 64 (chunk boundaries are). */
  save(): { h: number[]; length: number } {
    if (this.pos !== 0) throw new Error('ResumableSha256.save: not at a 64-byte boundary');
    return { h: this.get(), length: this.length };
  }
  static load(s: { h: number[]; length: number }): ResumableSha256 {
    const x = new ResumableSha256();
    if (!Array.isArray(s.h) || s.h.length !== 8 || !Number.isSafeInteger(s.length) || s.length % 64)
      throw new TypeError('state.mid: not a saved SHA-256 midstate');
    const [a, b, c, d, e, f, g, h] = s.h as [number, number, number, number, number, number, number, number];
    x.set(a, b, c, d, e, f, g, h);
    x.length = s.length;
    return x;
  }
}

/** Reads a byte range [start, end) of file `fileIndex`. */
export type ReadSlice = (fileIndex: number, start: number, end: number) => Promise<Uint8Array>;

/** A file ready to offer: its offer fields and its per-chunk hash list (32 bytes per chunk). */
export interface PreparedFile {
  offer: FileOffer;
  chunkHashes: Uint8Array;
}

/** An incremental SHA-256 of a whole file; `digest()` is called once, at the end. */
export interface WholeFileHash {
  update(bytes: Uint8Array): void;
  digest(): Uint8Array;
}

/**
 * Reads a file once, hashing each chunk and the whole file (docs/files.md §3). The sender runs
 * this before creating the offer; it costs one read and two SHA-256 passes of the file. `whole`
 * is the whole-file hash to use (@noble's by default; the app passes a WebAssembly one, ~4.5×
 * faster in Chromium); each chunk's digest runs while the whole-file hash takes the same bytes.
 */
export async function prepareFile(o: {
  fileIndex: number;
  name: string;
  type: string;
  size: number;
  chunkSize: number;
  readSlice: ReadSlice;
  digest?: ChunkDigest;
  whole?: WholeFileHash;
}): Promise<PreparedFile> {
  const digest = o.digest ?? defaultDigest;
  const n = chunkCount(o.size, o.chunkSize);
  const chunkHashes = new Uint8Array(n * 32);
  const whole = o.whole ?? sha256.create();
  for (let i = 0; i < n; i++) {
    const start = i * o.chunkSize,
      end = Math.min(o.size, start + o.chunkSize);
    const bytes = await o.readSlice(o.fileIndex, start, end);
    if (bytes.length !== end - start)
      throw new RangeError(`readSlice(${o.fileIndex}, ${start}, ${end}) returned ${bytes.length} bytes`);
    const chunkHash = digest(bytes); // WebCrypto works on its own thread meanwhile
    chunkHash.catch(() => {}); // awaited below; if update() throws first, that error is the one reported
    whole.update(bytes);
    chunkHashes.set(await chunkHash, i * 32);
  }
  return {
    offer: {
      name: o.name,
      type: o.type,
      size: o.size,
      chunkSize: o.chunkSize,
      sha256: whole.digest(),
      hashListRoot: sha256(chunkHashes),
    },
    chunkHashes,
  };
}

/** {@link FileOffer} in JSON form (hashes as hex), for saved state. */
export interface FileOfferJson {
  name: string;
  type: string;
  size: number;
  chunkSize: number;
  sha256: string;
  hashListRoot: string;
}
/** {@link FileOffer} → {@link FileOfferJson}. */
export const offerToJson = (f: FileOffer): FileOfferJson => ({
  name: f.name,
  type: f.type,
  size: f.size,
  chunkSize: f.chunkSize,
  sha256: bytesToHex(f.sha256),
  hashListRoot: bytesToHex(f.hashListRoot),
});
/** {@link FileOfferJson} → {@link FileOffer}. */
export const offerFromJson = (f: FileOfferJson): FileOffer => ({
  name: f.name,
  type: f.type,
  size: f.size,
  chunkSize: f.chunkSize,
  sha256: hexToBytes(f.sha256),
  hashListRoot: hexToBytes(f.hashListRoot),
});

/** Byte length of chunk `index` of a file. */
export function chunkLength(f: FileOffer, index: number): number {
  return Math.min(f.chunkSize, f.size - index * f.chunkSize);
}

/** Bytes covered by chunks [from, to) of a file. */
export function rangeBytes(f: FileOffer, from: number, to: number): number {
  return Math.max(0, Math.min(f.size, to * f.chunkSize) - Math.min(f.size, from * f.chunkSize));
}

/** Speed and ETA from (time, bytes) samples over the last ~5 s of the injected clock. */
export class ProgressMeter {
  private samples: [number, number][] = [];
  private lastEmit = -Infinity;
  constructor(private readonly intervalMs: number) {}
  /** A progress value, or null when the last one was emitted less than `intervalMs` ago (unless `force`). */
  update(now: number, done: number, total: number, force: boolean): Progress | null {
    const last = this.samples[this.samples.length - 1];
    if (!last || now - last[0] >= 250) this.samples.push([now, done]);
    else last[1] = done;
    while (this.samples.length > 2 && now - this.samples[1]![0] >= 5000) this.samples.shift();
    if (!force && now - this.lastEmit < this.intervalMs) return null;
    this.lastEmit = now;
    const first = this.samples[0]!;
    const dt = now - first[0];
    const speed = dt > 0 ? ((done - first[1]) * 1000) / dt : 0;
    return { done, total, speed, etaMs: speed > 0 ? ((total - done) * 1000) / speed : done >= total ? 0 : null };
  }
}
