/**
 * The receiver's per-file state (docs/files.md §3): verified prefix, hash list as received so
 * far, whole-file SHA-256 midstate, and the verified chunks held ahead of a gap; and its JSON form.
 * Also the receiver's I/O, options and state types.
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { equalBytes } from '@noble/ciphers/utils.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { chunkCount, type FileOffer } from './transfer-codec';
import {
  ResumableSha256,
  type ChunkDigest,
  type FileOfferJson,
  type TransferOptions,
  type TransferStatus,
} from './transfer-common';

/** The receiver's injected I/O (docs/files.md §3). */
export interface ReceiverIo {
  /** Writes verified bytes at `offset` of file `fileIndex` (may be called out of order, and again for the same range after a resume). */
  writeChunk: (fileIndex: number, offset: number, bytes: Uint8Array) => Promise<void>;
  send: (bytes: Uint8Array) => void;
  now: () => number;
  digest?: ChunkDigest;
  /**
   * The whole-file SHA-256 kept by the caller (docs/files.md §3, "Whole-file hash"): if given, the
   * caller hashes the bytes it is given through `writeChunk`, in file order (the OPFS worker does,
   * off the main thread), and this returns the SHA-256 of file `fileIndex`'s bytes so far; it is
   * asked once every chunk of the file verified, and must equal the offer's. The state then holds
   * no midstate (`mid: null`): after a restore the caller hashes the verified prefix it holds
   * again. Without it the receiver hashes in this thread with @noble and saves the midstate.
   */
  fileDigest?: (fileIndex: number) => Promise<Uint8Array>;
}

/** Receiver tuning; see {@link TransferOptions}. */
export type ReceiverOptions = TransferOptions;

/** The receiver's JSON state (docs/files.md §3). */
export interface ReceiverState {
  v: 1;
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
  hashes: string;
  mid: { h: number[]; length: number } | null;
  done: boolean;
}

/** A receiving file. */
export interface ReceivingFile {
  /** `acked`: the verified prefix last acknowledged to the sender (not saved: a resume tells it anyway). */
  offer: FileOffer;
  count: number;
  verified: number;
  acked: number;
  hashes: Uint8Array;
  hashesHave: number;
  hashesOk: boolean;
  whole: ResumableSha256 | null;
  done: boolean;
  buffered: Map<number, Uint8Array>;
  listFailures: number;
}

/** JSON of a receiving file; chunks held ahead of a gap are left out (they are sent again). */
export function saveFile(f: ReceivingFile): ReceivingFileJson {
  return {
    verified: f.verified,
    hashes: bytesToHex(f.hashes.subarray(0, f.hashesHave * 32)),
    mid: f.whole ? f.whole.save() : null,
    done: f.done,
  };
}

/**
 * A receiving file from its JSON; a saved hash list that does not verify is fetched again.
 * `hashHere`: this side keeps the whole-file SHA-256 (false: the caller does, `ReceiverIo.fileDigest`).
 */
export function loadFile(offer: FileOffer, p: ReceivingFileJson, hashHere = true): ReceivingFile {
  const f = newFile(offer, false);
  storeHashes(f, 0, hexToBytes(p.hashes));
  f.hashesOk = f.hashesHave === f.count && equalBytes(sha256(f.hashes), offer.hashListRoot);
  if (!f.hashesOk && f.hashesHave === f.count) f.hashesHave = 0;
  f.verified = p.verified;
  f.acked = p.verified;
  f.done = p.done;
  if (hashHere && !p.done) {
    // A state saved while the caller hashed has no midstate: only a file with nothing verified can restart it here.
    if (!p.mid && p.verified > 0)
      throw new TypeError('state: saved without a whole-file midstate (restore it with ReceiverIo.fileDigest)');
    f.whole = p.mid ? ResumableSha256.load(p.mid) : new ResumableSha256();
  }
  return f;
}

/** Appends hash-list entries at chunk `first`, growing the buffer as pieces arrive: memory follows
 *  what the sender actually sent, not what its offer declared. */
export function storeHashes(r: ReceivingFile, first: number, hashes: Uint8Array): void {
  const need = first * 32 + hashes.length;
  if (need > r.count * 32) throw new RangeError('storeHashes: beyond the chunk count');
  if (need > r.hashes.length) {
    const grown = new Uint8Array(Math.min(r.count * 32, Math.max(need, r.hashes.length * 2)));
    grown.set(r.hashes);
    r.hashes = grown;
  }
  r.hashes.set(hashes, first * 32);
  r.hashesHave = need / 32;
}

/** A new receiving file; `hashHere`: this side keeps the whole-file SHA-256 (see {@link loadFile}). */
export function newFile(offer: FileOffer, hashHere = true): ReceivingFile {
  const count = chunkCount(offer.size, offer.chunkSize);
  return {
    offer,
    count,
    verified: 0,
    acked: 0,
    hashes: new Uint8Array(0),
    hashesHave: 0,
    hashesOk: false,
    whole: hashHere ? new ResumableSha256() : null,
    done: false,
    buffered: new Map(),
    listFailures: 0,
  };
}
