/**
 * {@link FileStore} on the Origin Private File System (docs/files.md "Glue"): received chunks are
 * written to disk as they verify, by a dedicated worker holding `FileSystemSyncAccessHandle`s
 * (`opfs-worker.ts`), so memory stays bounded by the transfer window whatever the file size.
 * Layout: `/parley-transfers/<transfer id hex>/<file index>`. A finished file is handed to the
 * page as an OPFS-backed `File` (no copy into memory) for an ordinary download link.
 * @module
 */
import { MemoryFileStore, type FileSink, type FileStore } from './file-store';

const OPFS_ROOT = 'parley-transfers'; // = opfs-worker.ts OPFS_ROOT (not imported: that module is the worker)
const ID_RE = /^[0-9a-f]{32}$/;

type Op = 'open' | 'write' | 'truncate' | 'flush' | 'close' | 'closeDir';

export class OpfsFileStore implements FileStore {
  #worker: Worker | null = null;
  #next = 1;
  readonly #waiting = new Map<number, { resolve: (digest?: Uint8Array) => void; reject: (e: Error) => void }>();

  /** Whether this browser has OPFS with sync access handles in workers. */
  static supported(): boolean {
    return (
      typeof navigator !== 'undefined' &&
      typeof navigator.storage?.getDirectory === 'function' &&
      typeof Worker === 'function'
    );
  }

  #call(
    op: Op,
    dir: string,
    file?: string,
    extra: { offset?: number; bytes?: Uint8Array; size?: number; digest?: boolean } = {},
    transfer: Transferable[] = [],
  ): Promise<Uint8Array | undefined> {
    if (!this.#worker) {
      this.#worker = new Worker(new URL('./opfs-worker.ts', import.meta.url), { type: 'module', name: 'parley-opfs' });
      this.#worker.onmessage = (e: MessageEvent<{ id: number; ok: boolean; error?: string; digest?: Uint8Array }>) => {
        const w = this.#waiting.get(e.data.id);
        this.#waiting.delete(e.data.id);
        if (e.data.ok) w?.resolve(e.data.digest);
        else w?.reject(new Error(`OPFS ${e.data.error ?? 'failed'}`));
      };
      this.#worker.onerror = (e) => {
        for (const w of this.#waiting.values()) w.reject(new Error(`OPFS worker failed: ${e.message}`));
        this.#waiting.clear();
      };
    }
    const id = this.#next++;
    return new Promise<Uint8Array | undefined>((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.#worker!.postMessage({ id, op, dir, file, ...extra }, transfer);
    });
  }

  async open(transferId: string, fileIndex: number): Promise<FileSink> {
    check(transferId);
    const file = String(fileIndex);
    await this.#call('open', transferId, file);
    return {
      // A buffer the chunk wholly spans moves to the worker instead of being copied twice
      // (structured clone out of the page, into the worker): the FileSink contract lets us take it.
      write: (offset, bytes) => this.#call('write', transferId, file, { offset, bytes }, wholeBuffer(bytes)).then(none),
      // The chunk's SHA-256 from the worker, which holds the bytes anyway (docs/files.md §14).
      writeDigest: async (offset, bytes) => {
        const sha = await this.#call('write', transferId, file, { offset, bytes, digest: true }, wholeBuffer(bytes));
        if (!sha) throw new Error('OPFS worker: a write asked for its digest returned none');
        return sha;
      },
      truncate: (size) => this.#call('truncate', transferId, file, { size }).then(none),
      flush: () => this.#call('flush', transferId, file).then(none),
      close: () => this.#call('close', transferId, file).then(none),
    };
  }

  async read(transferId: string, fileIndex: number, name: string, type: string): Promise<Blob> {
    check(transferId);
    const dir = await (await this.#root()).getDirectoryHandle(transferId);
    const f = await (await dir.getFileHandle(String(fileIndex))).getFile();
    // A File over the OPFS file's snapshot: the bytes stay on disk until the download reads them.
    return new File([f], name, { type: type || 'application/octet-stream' });
  }

  async remove(transferId: string): Promise<void> {
    check(transferId);
    if (this.#worker) await this.#call('closeDir', transferId);
    try {
      await (await this.#root()).removeEntry(transferId, { recursive: true });
    } catch (e) {
      if ((e as Error)?.name !== 'NotFoundError') throw e;
    }
  }

  async list(): Promise<string[]> {
    const out: string[] = [];
    const root = (await this.#root()) as FileSystemDirectoryHandle & { keys(): AsyncIterable<string> };
    for await (const name of root.keys()) if (ID_RE.test(name)) out.push(name);
    return out;
  }

  async size(transferId: string, fileIndex: number): Promise<number> {
    try {
      const dir = await (await this.#root()).getDirectoryHandle(transferId);
      return (await (await dir.getFileHandle(String(fileIndex))).getFile()).size;
    } catch {
      return 0;
    }
  }

  async #root(): Promise<FileSystemDirectoryHandle> {
    return (await navigator.storage.getDirectory()).getDirectoryHandle(OPFS_ROOT, { create: true });
  }
}

const none = (): void => undefined;

/** `[bytes.buffer]` when `bytes` spans all of a (non-shared) ArrayBuffer, else nothing to transfer. */
function wholeBuffer(bytes: Uint8Array): Transferable[] {
  const b = bytes.buffer;
  return b instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === b.byteLength ? [b] : [];
}

function check(id: string): void {
  if (!ID_RE.test(id))
    throw new TypeError(`transferId: expected 32 lowercase hex characters, got ${JSON.stringify(id)}`);
}

/** The store for this environment: OPFS where available, else memory (files then live in RAM). */
export function createFileStore(): FileStore {
  return OpfsFileStore.supported() ? new OpfsFileStore() : new MemoryFileStore();
}
