/**
 * Dedicated worker behind `OpfsFileStore` (docs/files.md "Glue"): writes received chunks into
 * the Origin Private File System through `FileSystemSyncAccessHandle`, which (unlike
 * `createWritable`) writes in place at any offset and makes the bytes durable on `flush()`
 * without copying the whole file into a swap file on every commit. Sync access handles exist
 * only in dedicated workers, hence this file.
 *
 * The page hands each chunk's buffer over (a transfer, not a copy). A write with `digest` also
 * returns the SHA-256 of the bytes it wrote, taken here (WebCrypto, from this worker), so the
 * page's thread neither hashes nor copies the chunk for the file digest (docs/files.md §12, §14).
 *
 * Protocol: `{ id, op, dir, file, offset?, bytes?, size?, digest? }` → `{ id, ok: true, digest? }`
 * or `{ id, ok: false, error }`. Operations: open, write, truncate, flush, close, closeDir.
 * @module
 */
interface SyncHandle {
  write(buffer: Uint8Array, options?: { at?: number }): number;
  read(buffer: Uint8Array, options?: { at?: number }): number;
  getSize(): number;
  truncate(size: number): void;
  flush(): void;
  close(): void;
}
interface Request {
  id: number;
  op: 'open' | 'write' | 'truncate' | 'flush' | 'close' | 'closeDir';
  dir: string;
  file?: string;
  offset?: number;
  bytes?: Uint8Array;
  size?: number;
  /** write: return the SHA-256 of `bytes` too. */
  digest?: boolean;
}

/** Top-level OPFS directory that holds one directory per transfer. */
export const OPFS_ROOT = 'parley-transfers';

const scope = globalThis as unknown as {
  onmessage: ((e: MessageEvent<Request>) => void) | null;
  postMessage(m: unknown): void;
};
const handles = new Map<string, SyncHandle>();
let queue: Promise<unknown> = Promise.resolve();

function handle(r: Request): Promise<Uint8Array | void> | void {
  const key = `${r.dir}/${r.file ?? ''}`;
  if (r.op === 'closeDir') return closeDir(r.dir);
  if (r.op === 'open') return openFile(key, r.dir, r.file!);
  const h = handles.get(key);
  if (!h) throw new Error(`opfs-worker: ${r.op} on ${key}, which is not open`);
  switch (r.op) {
    case 'write':
      return r.digest ? writeDigest(h, r.offset!, r.bytes!) : writeAt(h, r.offset!, r.bytes!);
    case 'truncate':
      return h.truncate(r.size!);
    case 'flush':
      return h.flush();
    case 'close':
      h.close();
      handles.delete(key);
      return;
  }
}

function closeDir(dir: string): void {
  for (const [k, h] of handles)
    if (k.startsWith(`${dir}/`)) {
      h.close();
      handles.delete(k);
    }
}

async function openFile(key: string, dirName: string, file: string): Promise<void> {
  if (handles.has(key)) return;
  const root = await (await navigator.storage.getDirectory()).getDirectoryHandle(OPFS_ROOT, { create: true });
  const dir = await root.getDirectoryHandle(dirName, { create: true });
  const fh = await dir.getFileHandle(file, { create: true });
  handles.set(key, await (fh as unknown as { createSyncAccessHandle(): Promise<SyncHandle> }).createSyncAccessHandle());
}

/** Writes all of `bytes` at `offset`. */
function writeAt(h: SyncHandle, offset: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) {
    const n = h.write(bytes.subarray(done), { at: offset + done });
    if (n <= 0) throw new Error(`opfs-worker: write of ${bytes.length} bytes at ${offset} stalled (disk full?)`);
    done += n;
  }
}

/** Writes all of `bytes` at `offset` and returns their SHA-256, hashed before the write. */
async function writeDigest(h: SyncHandle, offset: number, bytes: Uint8Array): Promise<Uint8Array> {
  const sha = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  writeAt(h, offset, bytes);
  return sha;
}

scope.onmessage = (e) => {
  const r = e.data;
  // One operation at a time, in arrival order: a sync handle is not re-entrant.
  queue = queue
    .then(() => handle(r))
    .then(
      (digest) => scope.postMessage({ id: r.id, ok: true, ...(digest ? { digest } : {}) }),
      (err: unknown) =>
        scope.postMessage({
          id: r.id,
          ok: false,
          error: `${(err as Error)?.name ?? 'Error'}: ${(err as Error)?.message ?? String(err)}`,
        }),
    );
};
