/**
 * The sender's reads and its whole-file hashes (docs/files.md §11, "Integrity as the bytes
 * flow"): each chunk is read when it is sent, and the first read of each chunk, in file order,
 * also feeds the file's running SHA-256 — one pass per byte. The running state is saved with the
 * sender (`SenderState.hashing`), so a reloaded sender goes on hashing where it stopped instead
 * of reading the file again. Used by `TransferSender` (transfer.ts).
 * @module
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { chunkCount, type FileOffer } from './transfer-codec';
import { chunkLength, type ReadSlice, type RunningHash, type RunningHashes } from './transfer-common';

/** One file's hashing as saved in `SenderState.hashing` (docs/files.md §11). */
export interface SavedHashing {
  /** Chunks hashed so far. */
  hashed: number;
  /** The running hash's saved state (hex), null once the digest is known or when there is none. */
  state: string | null;
  /** The file's SHA-256 (hex) once every chunk was hashed. */
  digest: string | null;
}

/** The running whole-file hash of one file. */
interface FileHashing {
  /** Chunks 0..hashed-1 went into `hash` (or `saved`, not yet loaded). */
  hashed: number;
  hash: RunningHash | null;
  saved: Uint8Array | null;
  digest: Uint8Array | null;
}

/** Reads chunks of the offered files and keeps each file's running SHA-256 (docs/files.md §11). */
export class HashingReader {
  readonly #files: readonly FileOffer[];
  readonly #readSlice: ReadSlice;
  readonly #hashes: RunningHashes;
  readonly #hashing: FileHashing[];

  /** `saved`: the hashing of a restored sender (absent: nothing hashed yet). */
  constructor(
    files: readonly FileOffer[],
    readSlice: ReadSlice,
    hashes: RunningHashes,
    saved?: readonly SavedHashing[],
  ) {
    this.#files = files;
    this.#readSlice = readSlice;
    this.#hashes = hashes;
    this.#hashing = files.map((_, i) => {
      const h = saved?.[i];
      return {
        hashed: h && (h.state || h.digest) ? h.hashed : 0, // no saved state: hash from the start
        hash: null,
        saved: h?.state ? hexToBytes(h.state) : null,
        digest: h?.digest ? hexToBytes(h.digest) : null,
      };
    });
  }

  /** The hashing state to save with the sender. */
  toJSON(): SavedHashing[] {
    return this.#hashing.map((h) => {
      const state = h.hash ? h.hash.save() : h.saved;
      return {
        hashed: h.hashed,
        state: state && !h.digest ? bytesToHex(state) : null,
        digest: h.digest && bytesToHex(h.digest),
      };
    });
  }

  /** Reads chunk `index` of `file`; the first read of each chunk, in order, also feeds the file's hash. */
  async read(file: number, index: number): Promise<Uint8Array> {
    const o = this.#files[file]!,
      start = index * o.chunkSize,
      end = start + chunkLength(o, index);
    const bytes = await this.#readSlice(file, start, end);
    if (bytes.length !== end - start)
      throw new RangeError(`readSlice(${file}, ${start}, ${end}) returned ${bytes.length} bytes; the file changed?`);
    const h = this.#hashing[file]!;
    if (index === h.hashed && !h.digest) {
      const hash = await this.#runningHash(h);
      if (index === h.hashed) {
        hash.update(bytes);
        h.hashed++;
        if (h.hashed === this.#chunks(file)) this.#finish(h, hash);
      } // else the saved state did not load: hashing starts over from chunk 0 (catchUp)
    }
    return bytes;
  }

  /** Hashes chunks up to `upTo` that were sent before a reload the saved hash state did not cover. */
  async catchUp(file: number, upTo: number): Promise<void> {
    const h = this.#hashing[file]!;
    while (!h.digest && h.hashed < upTo) await this.read(file, h.hashed);
  }

  /** The file's SHA-256, reading whatever its hash has not covered yet. */
  async digest(file: number): Promise<Uint8Array> {
    const h = this.#hashing[file]!;
    await this.catchUp(file, this.#chunks(file));
    if (!h.digest) this.#finish(h, await this.#runningHash(h)); // an empty file
    return h.digest!;
  }

  /** The file's SHA-256 if it is known already, else null. */
  knownDigest(file: number): Uint8Array | null {
    return this.#hashing[file]!.digest;
  }

  #chunks(file: number): number {
    return chunkCount(this.#files[file]!.size, this.#files[file]!.chunkSize);
  }

  /** The file's running hash, loaded from its saved state (or fresh, starting over, if that fails). */
  async #runningHash(h: FileHashing): Promise<RunningHash> {
    if (h.hash) return h.hash;
    if (h.saved) {
      try {
        h.hash = await this.#hashes.load(h.saved);
      } catch {
        h.hashed = 0; // a state this page cannot load (another hash implementation): read the prefix again
      }
      h.saved = null;
    }
    h.hash ??= await this.#hashes.create();
    return h.hash;
  }

  #finish(h: FileHashing, hash: RunningHash): void {
    h.digest = hash.digest();
    h.hash = null;
  }
}
