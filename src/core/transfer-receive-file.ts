/**
 * The receiver's per-file state (docs/files.md §3, §12): verified prefix, the file digest's
 * midstate, the sender's digest once it came, and the chunk digests held ahead of a gap; and its
 * JSON form.
 * Also the receiver's I/O, options and state types.
 * @module
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { chunkCount, type FileOffer } from './transfer-codec';
import { ResumableSha256, type FileOfferJson, type TransferOptions, type TransferStatus } from './transfer-common';
import { startFileDigest, type ChunkDigest } from './file-digest';

/** The receiver's injected I/O (docs/files.md §3). */
export interface ReceiverIo {
  /**
   * Writes verified bytes at `offset` of file `fileIndex` (may be called out of order, and again
   * for the same range after a resume). The receiver has taken what it needs from `bytes` (their
   * chunk digest) before this call and never reads them again, so the caller may take them (the
   * app transfers their buffer to its OPFS worker: docs/files.md §12).
   */
  writeChunk: (fileIndex: number, offset: number, bytes: Uint8Array) => Promise<void>;
  send: (bytes: Uint8Array) => void;
  now: () => number;
  /**
   * SHA-256 of one chunk for the file digest (docs/files.md §12); @noble's by default, WebCrypto's
   * in the app (off the page's thread). It must have read `bytes` by the time it returns its promise.
   */
  chunkDigest?: ChunkDigest;
  /**
   * Writes `bytes` as `writeChunk` does and returns their SHA-256 (32 bytes), computed where they
   * are written — the app's OPFS worker hashes the buffer it was handed, so the page's thread
   * neither hashes nor copies the chunk (docs/files.md §14). When present it is used instead of
   * `chunkDigest` and `writeChunk`; what it returns goes into the file digest, so a wrong one
   * makes the file fail to verify, never pass.
   */
  writeChunkDigest?: (fileIndex: number, offset: number, bytes: Uint8Array) => Promise<Uint8Array>;
  /**
   * Whether the sender takes this receiver's advertised window as its own (the peer announced
   * `file-ack-window`: docs/files.md §14). Then an ack waits until a quarter of the window is
   * unacknowledged, the file is complete, or the next `tick` — not for each pause in the stream.
   * Asked at each ack (the link, and so the peer, may change); absent = false.
   */
  holdAcks?: () => boolean;
}

/** Receiver tuning; see {@link TransferOptions}. */
export type ReceiverOptions = TransferOptions;

/** The receiver's JSON state (docs/files.md §3). */
export interface ReceiverState {
  v: 3;
  role: 'receiver';
  id: string;
  status: TransferStatus;
  files: FileOfferJson[];
  accepted: number[];
  progress: (ReceivingFileJson | null)[];
  options: Required<ReceiverOptions>;
}

/** A receiving file in JSON form (part of `ReceiverState`). */
export interface ReceivingFileJson {
  verified: number;
  mid: { h: number[]; length: number } | null;
  /** The sender's whole-file digest (hex), once it came. */
  expected: string | null;
  /** The file digest of what was written (hex), kept once every chunk is in. */
  written?: string | null;
  done: boolean;
}

/** A receiving file. */
export interface ReceivingFile {
  /** `acked`: the verified prefix last acknowledged to the sender (not saved: a resume tells it anyway). */
  offer: FileOffer;
  count: number;
  verified: number;
  acked: number;
  /** The sender's file digest (its `digest` message, §12), compared once every chunk is in. */
  expected: Uint8Array | null;
  whole: ResumableSha256 | null;
  /** The file digest this side took when the last chunk came in (it may wait for `expected`). */
  written: Uint8Array | null;
  done: boolean;
  /** Chunks written ahead of a gap: their SHA-256 (on its way), folded once the gap is filled. */
  buffered: Map<number, Promise<Uint8Array>>;
  /** Chunks 0..hashed-1 are folded into `whole` (hashed ≤ verified: digests finish off the thread). */
  hashed: number;
  /** The folds of verified chunks' digests, in order; rejects for good if a chunk digest failed. */
  folding: Promise<void>;
}

/** JSON of a receiving file; chunks held ahead of a gap are left out (they are sent again). */
export function saveFile(f: ReceivingFile): ReceivingFileJson {
  return {
    // What the file digest covers: chunks verified but not yet folded are fetched again after a reload.
    verified: f.hashed,
    mid: f.whole ? f.whole.save() : null,
    expected: f.expected && bytesToHex(f.expected),
    written: f.written && bytesToHex(f.written),
    done: f.done,
  };
}

/** A receiving file from its JSON (docs/files.md §12: the file digest's midstate goes on). */
export function loadFile(offer: FileOffer, p: ReceivingFileJson): ReceivingFile {
  const f = newFile(offer);
  if (p.expected !== null && !/^[0-9a-f]{64}$/.test(p.expected)) throw new TypeError('state.expected: not a SHA-256');
  f.expected = p.expected ? hexToBytes(p.expected) : null;
  if (p.written && !/^[0-9a-f]{64}$/.test(p.written)) throw new TypeError('state.written: not a SHA-256');
  f.written = p.written ? hexToBytes(p.written) : f.written;
  f.verified = p.verified;
  f.hashed = p.verified;
  f.acked = p.verified;
  f.done = p.done;
  if (p.done || f.written) f.whole = null;
  else if (p.mid) {
    f.whole = ResumableSha256.load(p.mid);
    // Saved after the last record was folded but before the digest was taken: take it now.
    if (p.verified === f.count) {
      f.written = f.whole.digest();
      f.whole = null;
    }
  } else if (p.verified > 0) throw new TypeError('state: chunks verified but no file-digest midstate saved');
  return f;
}

/** A new receiving file: its file digest started (an empty file's is known at once). */
export function newFile(offer: FileOffer): ReceivingFile {
  const count = chunkCount(offer.size, offer.chunkSize);
  const whole = startFileDigest(offer.size, offer.chunkSize);
  return {
    offer,
    count,
    verified: 0,
    acked: 0,
    expected: null,
    written: count === 0 ? whole.digest() : null,
    whole: count === 0 ? null : whole,
    done: false,
    buffered: new Map(),
    hashed: 0,
    folding: Promise.resolve(),
  };
}
