/**
 * The receiver's per-file state (docs/files.md §3): verified prefix, hash list as received so
 * far, whole-file SHA-256 midstate, and the verified chunks held ahead of a gap; and its JSON form.
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { chunkCount, type FileOffer } from './transfer-codec';
import { equalBytes, ResumableSha256 } from './transfer-common';

/** A receiving file in JSON form (part of `ReceiverState`). */
export interface ReceivingFileJson { verified: number; hashes: string; mid: { h: number[]; length: number } | null; done: boolean }

/** A receiving file. */
export interface ReceivingFile {
  offer: FileOffer; count: number; verified: number; hashes: Uint8Array; hashesHave: number; hashesOk: boolean;
  whole: ResumableSha256 | null; done: boolean; buffered: Map<number, Uint8Array>; listFailures: number;
}

/** JSON of a receiving file; chunks held ahead of a gap are left out (they are sent again). */
export function saveFile(f: ReceivingFile): ReceivingFileJson {
  return { verified: f.verified, hashes: bytesToHex(f.hashes.subarray(0, f.hashesHave * 32)), mid: f.whole ? f.whole.save() : null, done: f.done };
}

/** A receiving file from its JSON; a saved hash list that does not verify is fetched again. */
export function loadFile(offer: FileOffer, p: ReceivingFileJson): ReceivingFile {
  const f = newFile(offer);
  storeHashes(f, 0, hexToBytes(p.hashes));
  f.hashesOk = f.hashesHave === f.count && equalBytes(sha256(f.hashes), offer.hashListRoot);
  if (!f.hashesOk && f.hashesHave === f.count) f.hashesHave = 0;
  f.verified = p.verified;
  f.done = p.done;
  f.whole = p.mid ? ResumableSha256.load(p.mid) : null;
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

export function newFile(offer: FileOffer): ReceivingFile {
  const count = chunkCount(offer.size, offer.chunkSize);
  return {
    offer, count, verified: 0, hashes: new Uint8Array(0), hashesHave: 0, hashesOk: false,
    whole: new ResumableSha256(), done: false, buffered: new Map(), listFailures: 0,
  };
}
