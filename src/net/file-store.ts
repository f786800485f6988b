/**
 * Where received files live while they arrive, and how a sender reads the files it offers
 * (docs/files.md "Glue"). The interface is small on purpose: the browser backs it with the
 * Origin Private File System (`opfs-store.ts`), node tests with {@link MemoryFileStore}.
 *
 * Layout: one directory per transfer (its id in hex), one file per accepted file index. The
 * offered name is never used as a path: it only becomes the `download` attribute of the link.
 * @module
 */
import type { ReadSlice } from '../core/transfer';

/** One file being written: random-access writes of verified chunks, durable after `flush()`. */
export interface FileSink {
  /**
   * Writes `bytes` at `offset` (chunks arrive in any order within the window). The sink may take
   * `bytes` (OPFS transfers a buffer it wholly spans to its worker, leaving it empty here): the
   * caller must not read them after this call.
   */
  write(offset: number, bytes: Uint8Array): Promise<void>;
  /**
   * Writes as {@link write} does and returns the SHA-256 of `bytes`, computed where they are
   * written (OPFS: in the worker, from the buffer it was handed; docs/files.md §14). Optional:
   * without it the receiver hashes in the page before the write.
   */
  writeDigest?(offset: number, bytes: Uint8Array): Promise<Uint8Array>;
  /** Cuts the file to `size` bytes (a resume drops whatever was written past the verified prefix). */
  truncate(size: number): Promise<void>;
  /** Makes every write so far durable; the receiver's state is saved only after this. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Storage for received files (docs/files.md "Glue", OPFS layout and cleanup). */
export interface FileStore {
  /** Opens (creating if needed) file `fileIndex` of transfer `transferId`; existing bytes are kept. */
  open(transferId: string, fileIndex: number): Promise<FileSink>;
  /** The stored bytes of a file, as a Blob/File for a download link (no copy into memory in OPFS). */
  read(transferId: string, fileIndex: number, name: string, type: string): Promise<Blob>;
  /** Deletes everything stored for a transfer (saved, dismissed, declined, failed). */
  remove(transferId: string): Promise<void>;
  /** Transfer ids with data on disk: startup resumes the known ones and removes the rest. */
  list(): Promise<string[]>;
  /** Bytes stored for a file (0 when absent). */
  size(transferId: string, fileIndex: number): Promise<number>;
}

/** Bytes a {@link blobReader} reads from a Blob at once (docs/files.md §8, "Sender reads"). */
export const READ_BLOCK_BYTES = 2 * 1024 * 1024;

/**
 * A sender's {@link ReadSlice} over the files (or any Blobs) it offers (docs/files.md §8, "Sender
 * reads"). Reads `Blob.slice → arrayBuffer` in blocks of `blockBytes` and serves chunks as views
 * into them, starting the read of the next block once half of the current one was served: in
 * Chromium every `slice` + `arrayBuffer` is a round trip to the browser process, so one per chunk
 * cost the sender 13 % of its main thread and the browser process 18 ms of CPU per MB; now there
 * is one per block, and the next block is usually there when the chunk after this one is wanted.
 * At most two blocks are held. A file that changed size since the offer yields a short read,
 * which the core turns into `TRANSFER_IO`.
 */
export function blobReader(blobs: readonly Blob[], blockBytes = READ_BLOCK_BYTES): ReadSlice {
  interface Block {
    file: number;
    start: number;
    end: number;
    data: Promise<Uint8Array>;
  }
  let held: Block[] = [];
  const load = (file: number, b: Blob, start: number, span: number): Block => {
    const end = Math.min(b.size, start + span);
    const data = b
      .slice(start, end)
      .arrayBuffer()
      .then((x) => new Uint8Array(x));
    data.catch(() => undefined); // a prefetch nobody asks for must not be an unhandled rejection
    return { file, start, end, data };
  };
  return async (fileIndex, start, end) => {
    const b = blobs[fileIndex];
    if (!b) throw new RangeError(`readSlice: no file ${fileIndex}`);
    const len = end - start;
    if (len > blockBytes || len <= 0) return new Uint8Array(await b.slice(start, end).arrayBuffer());
    let k = held.find((x) => x.file === fileIndex && x.start <= start && end <= x.end);
    // A whole number of slices per block, so that sequential slices of one size never straddle two blocks.
    const span = Math.floor(blockBytes / len) * len;
    if (!k) {
      k = load(fileIndex, b, start, span);
      held = [k];
    }
    if (
      k.end < b.size &&
      end - k.start > (k.end - k.start) / 2 &&
      !held.some((x) => x.file === fileIndex && x.start === k.end)
    )
      held = [k, load(fileIndex, b, k.end, span)];
    const data = await k.data;
    // A short block (the file shrank) gives a short slice: the caller reports it.
    return data.subarray(Math.min(data.length, start - k.start), Math.min(data.length, end - k.start));
  };
}

/** In-memory {@link FileStore} for tests and for browsers without OPFS (bounded only by memory). */
export class MemoryFileStore implements FileStore {
  readonly files = new Map<string, Map<number, { data: Uint8Array; length: number }>>();
  /** Number of writes so far (tests). */
  writes = 0;

  async open(transferId: string, fileIndex: number): Promise<FileSink> {
    const dir = this.files.get(transferId) ?? new Map<number, { data: Uint8Array; length: number }>();
    this.files.set(transferId, dir);
    const f = dir.get(fileIndex) ?? { data: new Uint8Array(0), length: 0 };
    dir.set(fileIndex, f);
    const grow = (n: number) => {
      if (n <= f.data.length) return;
      const d = new Uint8Array(Math.max(n, f.data.length * 2));
      d.set(f.data.subarray(0, f.length));
      f.data = d;
    };
    let closed = false;
    const live = () => {
      if (closed || this.files.get(transferId)?.get(fileIndex) !== f) throw new Error('FileSink: closed or removed');
    };
    return {
      write: async (offset, bytes) => {
        live();
        grow(offset + bytes.length);
        f.data.set(bytes, offset);
        f.length = Math.max(f.length, offset + bytes.length);
        this.writes++;
      },
      truncate: async (size) => {
        live();
        if (size < f.length) f.data.fill(0, size, f.length);
        grow(size);
        f.length = size;
      },
      flush: async () => live(),
      close: async () => {
        closed = true;
      },
    };
  }

  async read(transferId: string, fileIndex: number, _name: string, type: string): Promise<Blob> {
    const f = this.files.get(transferId)?.get(fileIndex);
    if (!f) throw new Error(`MemoryFileStore.read: no file ${fileIndex} of transfer ${transferId}`);
    return new Blob([f.data.slice(0, f.length)], { type });
  }

  async remove(transferId: string): Promise<void> {
    this.files.delete(transferId);
  }
  async list(): Promise<string[]> {
    return [...this.files.keys()];
  }
  async size(transferId: string, fileIndex: number): Promise<number> {
    return this.files.get(transferId)?.get(fileIndex)?.length ?? 0;
  }

  /** The bytes of a stored file (tests). */
  bytes(transferId: string, fileIndex: number): Uint8Array | undefined {
    const f = this.files.get(transferId)?.get(fileIndex);
    return f?.data.slice(0, f.length);
  }
}

/** Startup cleanup: deletes stored data of transfers no contact knows any more; returns what was removed. */
export async function removeOrphans(
  store: { list(): Promise<string[]>; remove(id: string): Promise<void> },
  known: Iterable<string>,
): Promise<string[]> {
  const keep = new Set(known),
    gone: string[] = [];
  for (const id of await store.list())
    if (!keep.has(id)) {
      await store.remove(id);
      gone.push(id);
    }
  return gone;
}
