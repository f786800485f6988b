/**
 * The sender's reads and its file digests (docs/files.md §11 "Integrity as the bytes flow", §12
 * "The file digest"): each chunk is read when it is sent, and the first read of each chunk, in
 * file order, is also hashed (`chunkDigest`, off the thread in the app) and its record fed to the
 * file's running digest — one pass per byte. The running state is saved with the sender
 * (`SenderState.hashing`), so a reloaded sender goes on where it stopped instead of reading the
 * file again. Used by `TransferSender` (transfer.ts).
 * @module
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { chunkCount, type FileOffer } from './transfer-codec';
import { chunkLength, nobleRunningHashes, type ReadSlice, type RunningHash } from './transfer-common';
import { chunkRecord, fileDigestPrefix, type ChunkDigest } from './file-digest';

/** One file's hashing as saved in `SenderState.hashing` (docs/files.md §11). */
export interface SavedHashing {
  /** Chunks hashed so far. */
  hashed: number;
  /** The running file digest's saved state (hex), null once the digest is known or when there is none. */
  state: string | null;
  /** The file digest (hex) once every chunk was hashed. */
  digest: string | null;
}

/** The running file digest of one file. */
interface FileHashing {
  /** Chunks 0..hashed-1 went into `hash` (or `saved`, not yet loaded). */
  hashed: number;
  /** Chunks 0..queued-1 were read and their digests are on their way into `hash` (queued ≥ hashed). */
  queued: number;
  hash: RunningHash | null;
  saved: Uint8Array | null;
  digest: Uint8Array | null;
  /** The folds of queued chunk digests, in order; rejects (for good) if a chunk digest failed. */
  folding: Promise<void>;
}

/** Reads chunks of the offered files and keeps each file's running file digest (docs/files.md §12). */
export class HashingReader {
  readonly #files: readonly FileOffer[];
  readonly #readSlice: ReadSlice;
  readonly #chunkDigest: ChunkDigest;
  readonly #hashing: FileHashing[];

  /** `saved`: the hashing of a restored sender (absent: nothing hashed yet). */
  constructor(
    files: readonly FileOffer[],
    readSlice: ReadSlice,
    chunkDigest: ChunkDigest,
    saved?: readonly SavedHashing[],
  ) {
    this.#files = files;
    this.#readSlice = readSlice;
    this.#chunkDigest = chunkDigest;
    this.#hashing = files.map((_, i) => {
      const h = saved?.[i];
      const hashed = h && (h.state || h.digest) ? h.hashed : 0; // no saved state: hash from the start
      return {
        hashed,
        queued: hashed,
        hash: null,
        saved: h?.state ? hexToBytes(h.state) : null,
        digest: h?.digest ? hexToBytes(h.digest) : null,
        folding: Promise.resolve(),
      };
    });
  }

  /** The hashing state to save with the sender (what is folded so far; digests on their way are not). */
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

  /**
   * Reads chunk `index` of `file`. The first read of each chunk, in order, also starts its digest
   * and queues its fold into the file's digest: the bytes go back at once, so the chunk is sealed
   * and sent while it is being hashed (off the thread, in the app).
   */
  async read(file: number, index: number): Promise<Uint8Array> {
    const o = this.#files[file]!,
      start = index * o.chunkSize,
      end = start + chunkLength(o, index);
    const bytes = await this.#readSlice(file, start, end);
    if (bytes.length !== end - start)
      throw new RangeError(`readSlice(${file}, ${start}, ${end}) returned ${bytes.length} bytes; the file changed?`);
    const h = this.#hashing[file]!;
    if (index === h.queued && !h.digest) {
      h.queued++;
      const sha = this.#chunkDigest(bytes), // takes what it needs from `bytes` now
        len = bytes.length; // the fold keeps no reference to the bytes (a view into a 2 MiB read block)
      sha.catch(() => undefined); // seen by the fold below, which may run only after `sha` rejected
      h.folding = h.folding.then(async () => {
        const [hash, d] = await Promise.all([this.#runningHash(h, file), sha]);
        if (index !== h.hashed) return; // the saved state did not load: hashing starts over (catchUp)
        hash.update(chunkRecord(d, index, len));
        h.hashed++;
        if (h.hashed === this.#chunks(file)) this.#finish(h, hash);
      });
      h.folding.catch(() => undefined); // seen by digest(); not an unhandled rejection meanwhile
    }
    return bytes;
  }

  /** Hashes chunks up to `upTo` that were sent before a reload the saved hash state did not cover. */
  async catchUp(file: number, upTo: number): Promise<void> {
    const h = this.#hashing[file]!;
    if (h.digest || h.queued >= upTo) return; // nothing to catch up: the send path does not wait for digests
    await h.folding;
    while (!h.digest && h.queued < upTo) {
      await this.read(file, h.queued);
      await h.folding; // a saved state that does not load resets `queued` to 0 here
    }
  }

  /** The file digest, reading whatever it has not covered yet. */
  async digest(file: number): Promise<Uint8Array> {
    const h = this.#hashing[file]!,
      n = this.#chunks(file);
    // Again if the fold found a saved state it could not load (it then starts over from chunk 0).
    while (!h.digest && n > 0) {
      await this.catchUp(file, n);
      await h.folding;
    }
    if (!h.digest) this.#finish(h, await this.#runningHash(h, file)); // an empty file
    return h.digest!;
  }

  /** The file digest if it is known already, else null. */
  knownDigest(file: number): Uint8Array | null {
    return this.#hashing[file]!.digest;
  }

  #chunks(file: number): number {
    return chunkCount(this.#files[file]!.size, this.#files[file]!.chunkSize);
  }

  /** The file's running digest, loaded from its saved state (or fresh, starting over, if that fails). */
  async #runningHash(h: FileHashing, file: number): Promise<RunningHash> {
    if (h.hash) return h.hash;
    if (h.saved) {
      try {
        h.hash = await nobleRunningHashes.load(h.saved);
      } catch {
        h.hashed = 0; // a state this build cannot load (an older build's): read the prefix again
        h.queued = 0;
      }
      h.saved = null;
    }
    if (!h.hash) {
      const o = this.#files[file]!;
      h.hash = await nobleRunningHashes.create();
      h.hash.update(fileDigestPrefix(o.size, o.chunkSize));
    }
    return h.hash;
  }

  #finish(h: FileHashing, hash: RunningHash): void {
    h.digest = hash.digest();
    h.hash = null;
  }
}
