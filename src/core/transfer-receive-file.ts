/**
 * The receiver's per-file state (docs/files.md §3, §11): verified prefix, whole-file SHA-256
 * midstate, the sender's digest once it came, and the chunks held ahead of a gap; and its JSON form.
 * Also the receiver's I/O, options and state types.
 * @module
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { chunkCount, type FileOffer } from './transfer-codec';
import { ResumableSha256, type FileOfferJson, type TransferOptions, type TransferStatus } from './transfer-common';

/** The receiver's injected I/O (docs/files.md §3). */
export interface ReceiverIo {
  /**
   * Writes verified bytes at `offset` of file `fileIndex` (may be called out of order, and again
   * for the same range after a resume). When `fileDigest` is given the receiver never reads
   * `bytes` again once it has handed them here, so the caller may take them (the app transfers
   * their buffer to its OPFS worker: docs/files.md §12).
   */
  writeChunk: (fileIndex: number, offset: number, bytes: Uint8Array) => Promise<void>;
  send: (bytes: Uint8Array) => void;
  now: () => number;
  /**
   * The whole-file SHA-256 kept by the caller (docs/files.md §3, "Whole-file hash"): if given, the
   * caller hashes the bytes it is given through `writeChunk`, in file order (the OPFS worker does,
   * off the main thread), and this returns the SHA-256 of file `fileIndex`'s bytes so far; it is
   * asked once every chunk of the file is in, and must equal the sender's digest. The state then holds
   * no midstate (`mid: null`): after a restore the caller hashes the verified prefix it holds
   * again. Without it the receiver hashes in this thread with @noble and saves the midstate.
   */
  fileDigest?: (fileIndex: number) => Promise<Uint8Array>;
}

/** Receiver tuning; see {@link TransferOptions}. */
export type ReceiverOptions = TransferOptions;

/** The receiver's JSON state (docs/files.md §3). */
export interface ReceiverState {
  v: 2;
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
  /** The SHA-256 of what was written (hex), kept here once every chunk is in and the hash is this side's. */
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
  /** The sender's whole-file SHA-256 (its `digest` message), compared once every chunk is in. */
  expected: Uint8Array | null;
  whole: ResumableSha256 | null;
  /** The whole-file digest this side took when the last chunk came in (it may wait for `expected`). */
  written: Uint8Array | null;
  done: boolean;
  buffered: Map<number, Uint8Array>;
}

/** JSON of a receiving file; chunks held ahead of a gap are left out (they are sent again). */
export function saveFile(f: ReceivingFile): ReceivingFileJson {
  return {
    verified: f.verified,
    mid: f.whole ? f.whole.save() : null,
    expected: f.expected && bytesToHex(f.expected),
    written: f.written && bytesToHex(f.written),
    done: f.done,
  };
}

/**
 * A receiving file from its JSON.
 * `hashHere`: this side keeps the whole-file SHA-256 (false: the caller does, `ReceiverIo.fileDigest`).
 */
export function loadFile(offer: FileOffer, p: ReceivingFileJson, hashHere = true): ReceivingFile {
  const f = newFile(offer, false);
  if (p.expected !== null && !/^[0-9a-f]{64}$/.test(p.expected)) throw new TypeError('state.expected: not a SHA-256');
  f.expected = p.expected ? hexToBytes(p.expected) : null;
  if (p.written && !/^[0-9a-f]{64}$/.test(p.written)) throw new TypeError('state.written: not a SHA-256');
  f.written = p.written ? hexToBytes(p.written) : null;
  f.verified = p.verified;
  f.acked = p.verified;
  f.done = p.done;
  if (hashHere && !p.done && !f.written) {
    // A state saved while the caller hashed has no midstate: only a file with nothing verified can restart it here.
    if (!p.mid && p.verified > 0)
      throw new TypeError('state: saved without a whole-file midstate (restore it with ReceiverIo.fileDigest)');
    f.whole = p.mid ? ResumableSha256.load(p.mid) : new ResumableSha256();
  }
  return f;
}

/** A new receiving file; `hashHere`: this side keeps the whole-file SHA-256 (see {@link loadFile}). */
export function newFile(offer: FileOffer, hashHere = true): ReceivingFile {
  const count = chunkCount(offer.size, offer.chunkSize);
  return {
    offer,
    count,
    verified: 0,
    acked: 0,
    expected: null,
    written: null,
    whole: hashHere ? new ResumableSha256() : null,
    done: false,
    buffered: new Map(),
  };
}
