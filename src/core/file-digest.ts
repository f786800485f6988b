/**
 * The file digest (docs/files.md §12): what proves that the received file equals the sent one.
 * Each chunk is hashed on its own with SHA-256 — which the app hands to WebCrypto, whose BoringSSL
 * uses the CPU's SHA instructions, about ten times the speed of SHA-256 in WebAssembly (Chromium
 * runs it on the calling thread: ~1 ms per MB, docs/files.md §16) — and a running SHA-256 is fed,
 * in file order, one 64-byte record per chunk:
 *
 *     prefix  = "parley/file-digest/v1" ‖ zeros to 48 ‖ u64 size ‖ u32 chunkSize ‖ u32 0
 *     record  = SHA-256(chunk i) ‖ u64 i ‖ u64 length of chunk i ‖ 16 zero bytes
 *     digest  = SHA-256(prefix ‖ record 0 ‖ … ‖ record n-1)
 *
 * Every record ends on a SHA-256 block boundary, so the running hash can be saved after any chunk
 * as a 40-byte midstate and a reload goes on from there. Finding two files with the same digest
 * means a SHA-256 collision in a chunk or in the outer hash. Both sides compute it as the bytes
 * flow: the sender on its first read of each chunk, the receiver on each chunk it writes.
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { ResumableSha256 } from './transfer-common';

/** SHA-256 of one chunk, asynchronously (the app's is WebCrypto's). */
export type ChunkDigest = (bytes: Uint8Array) => Promise<Uint8Array>;

/** @noble's SHA-256 as a {@link ChunkDigest}: the core's default (node tests, no WebCrypto). */
export const nobleChunkDigest: ChunkDigest = async (bytes) => sha256(bytes);

/** WebCrypto's SHA-256 as a {@link ChunkDigest}; it copies `bytes` before it returns (the caller may reuse them). */
export const webCryptoChunkDigest: ChunkDigest = async (bytes) =>
  new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));

/** WebCrypto's where the platform has it (browsers, node), else @noble's: what the app uses. */
export const platformChunkDigest: ChunkDigest = (bytes) =>
  typeof globalThis.crypto?.subtle?.digest === 'function' ? webCryptoChunkDigest(bytes) : nobleChunkDigest(bytes);

const LABEL = utf8ToBytes('parley/file-digest/v1');
/** Bytes of the prefix and of each record: one SHA-256 block. */
export const FILE_DIGEST_RECORD_BYTES = 64;

/** The first block: binds the digest to this construction, the file's size and its chunk size (§12). */
export function fileDigestPrefix(size: number, chunkSize: number): Uint8Array {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`size: expected a byte count, got ${size}`);
  if (!Number.isInteger(chunkSize) || chunkSize <= 0 || chunkSize > 0xffffffff)
    throw new RangeError(`chunkSize: expected 1..2^32-1, got ${chunkSize}`);
  const out = new Uint8Array(FILE_DIGEST_RECORD_BYTES);
  out.set(LABEL);
  const v = new DataView(out.buffer);
  v.setBigUint64(48, BigInt(size));
  v.setUint32(56, chunkSize);
  return out;
}

/** The record of chunk `index` (`length` bytes) whose SHA-256 is `chunkSha` (§12). */
export function chunkRecord(chunkSha: Uint8Array, index: number, length: number): Uint8Array {
  if (!(chunkSha instanceof Uint8Array) || chunkSha.length !== 32)
    throw new TypeError('chunkSha: expected the 32-byte SHA-256 of a chunk');
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError(`index: expected a chunk index, got ${index}`);
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`length: expected a byte count, got ${length}`);
  const out = new Uint8Array(FILE_DIGEST_RECORD_BYTES);
  out.set(chunkSha);
  const v = new DataView(out.buffer);
  v.setBigUint64(32, BigInt(index));
  v.setBigUint64(40, BigInt(length));
  return out;
}

/** A running file digest with nothing fed but the prefix. */
export function startFileDigest(size: number, chunkSize: number): ResumableSha256 {
  const h = new ResumableSha256();
  h.update(fileDigestPrefix(size, chunkSize));
  return h;
}

/** The file digest of `bytes` in one go, with @noble (tests, vectors, tools: §12). */
export function fileDigestOf(bytes: Uint8Array, chunkSize: number): Uint8Array {
  const h = startFileDigest(bytes.length, chunkSize);
  for (let i = 0, at = 0; at < bytes.length; i++, at += chunkSize) {
    const chunk = bytes.subarray(at, Math.min(bytes.length, at + chunkSize));
    h.update(chunkRecord(sha256(chunk), i, chunk.length));
  }
  return h.digest();
}
