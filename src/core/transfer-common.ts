/**
 * Shared pieces of the file-transfer state machines (docs/files.md): failure codes, events,
 * hashing (the sender's running whole-file SHA-256, the receiver's resumable one) and progress
 * metering.
 * @module
 */
import { _SHA256 } from '@noble/hashes/sha2.js';
import { failure, type Failure, type Side } from './errors';
import { type CancelReason, type DeclineReason, type FileOffer, type TransferCodecErrorCode } from './transfer-codec';

/** Default bound on unacknowledged bytes in flight (docs/files.md §2). */
export const DEFAULT_WINDOW_BYTES = 4 * 1024 * 1024;
/** The largest window (the accept's u32). */
export const MAX_WINDOW_BYTES = 0xffffffff;
/**
 * `file-ack-window`'s promise (docs/files.md §14): a sender that announces it takes the
 * receiver's advertised window up to this many bytes (16× this build's receivers' 4 MiB; also
 * the bound on what a receiver advertising a huge window can make a sender track), and a
 * receiver holds its acks to a quarter of the smaller of its window and this.
 */
export const FOLLOWED_WINDOW_BYTES = 64 * 1024 * 1024;
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
  if (!Number.isInteger(r.windowBytes) || r.windowBytes < 1 || r.windowBytes > MAX_WINDOW_BYTES)
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
  | 'TRANSFER_HASH_MISMATCH' // chunk refused by the sealed-chunk layer (refetched; fatal past the retry limit)
  | 'TRANSFER_FILE_HASH_MISMATCH' // all chunks in but the whole-file SHA-256 differs from the sender's digest (fatal)
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

/** What happened, for the UI (docs/files.md §2–3). `file-complete` only after the digest check (§11). */
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

/**
 * A SHA-256 fed with a file's bytes in order as the sender reads them (docs/files.md §11), whose
 * state can be saved at any point and loaded after a reload, so a resumed sender never reads
 * the part it already hashed again.
 */
export interface RunningHash {
  update(bytes: Uint8Array): void;
  /** The digest of everything fed; the hash is not used afterwards. */
  digest(): Uint8Array;
  /** The state so far, opaque bytes for {@link RunningHashes.load}. */
  save(): Uint8Array;
}

/** Makes {@link RunningHash}es: fresh ones, and ones from a saved state (which may reject). */
export interface RunningHashes {
  create(): Promise<RunningHash>;
  load(saved: Uint8Array): Promise<RunningHash>;
}

/**
 * @noble's SHA-256 as {@link RunningHashes} (the default; the app passes hash-wasm's, faster in
 * Chromium: src/net/fast-sha256.ts). Its saved state is the midstate (eight 32-bit words, then the
 * length as u64), so it saves at 64-byte boundaries only: chunk boundaries are (§1), and the
 * sender takes the digest as soon as the last, possibly partial, chunk is in.
 */
export const nobleRunningHashes: RunningHashes = {
  create: async () => wrapNoble(new ResumableSha256()),
  load: async (saved) => {
    if (!(saved instanceof Uint8Array) || saved.length !== 40) throw new TypeError('saved: not a @noble midstate');
    const v = new DataView(saved.buffer, saved.byteOffset, 40);
    const h = Array.from({ length: 8 }, (_, i) => v.getUint32(i * 4));
    return wrapNoble(ResumableSha256.load({ h, length: v.getUint32(32) * 2 ** 32 + v.getUint32(36) }));
  },
};

function wrapNoble(x: ResumableSha256): RunningHash {
  return {
    update: (b) => void x.update(b),
    digest: () => x.digest(),
    save: () => {
      const { h, length } = x.save();
      const out = new Uint8Array(40),
        v = new DataView(out.buffer);
      h.forEach((w, i) => v.setUint32(i * 4, w));
      v.setUint32(32, Math.floor(length / 2 ** 32));
      v.setUint32(36, length % 2 ** 32);
      return out;
    },
  };
}

/** {@link FileOffer} in JSON form, for saved state. */
export interface FileOfferJson {
  name: string;
  type: string;
  size: number;
  chunkSize: number;
}
/** {@link FileOffer} → {@link FileOfferJson}. */
export const offerToJson = (f: FileOffer): FileOfferJson => ({
  name: f.name,
  type: f.type,
  size: f.size,
  chunkSize: f.chunkSize,
});
/** {@link FileOfferJson} → {@link FileOffer}. */
export const offerFromJson = (f: FileOfferJson): FileOffer => ({
  name: f.name,
  type: f.type,
  size: f.size,
  chunkSize: f.chunkSize,
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
