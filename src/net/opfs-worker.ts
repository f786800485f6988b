/**
 * Dedicated worker behind `OpfsFileStore` (docs/files.md "Glue"): writes received chunks into
 * the Origin Private File System through `FileSystemSyncAccessHandle`, which (unlike
 * `createWritable`) writes in place at any offset and makes the bytes durable on `flush()`
 * without copying the whole file into a swap file on every commit. Sync access handles exist
 * only in dedicated workers, hence this file.
 *
 * Protocol: `{ id, op, dir, file, offset?, bytes?, size? }` → `{ id, ok: true }` or
 * `{ id, ok: false, error }`. Operations: open, write, truncate, flush, close, closeDir.
 * @module
 */

interface SyncHandle {
  write(buffer: Uint8Array, options?: { at?: number }): number;
  truncate(size: number): void;
  flush(): void;
  close(): void;
}
interface Request { id: number; op: 'open' | 'write' | 'truncate' | 'flush' | 'close' | 'closeDir'; dir: string; file?: string; offset?: number; bytes?: Uint8Array; size?: number }

/** Top-level OPFS directory that holds one directory per transfer. */
export const OPFS_ROOT = 'parley-transfers';

const scope = globalThis as unknown as { onmessage: ((e: MessageEvent<Request>) => void) | null; postMessage(m: unknown): void };
const handles = new Map<string, SyncHandle>();
let queue: Promise<unknown> = Promise.resolve();

async function handle(r: Request): Promise<void> {
  const key = `${r.dir}/${r.file ?? ''}`;
  if (r.op === 'closeDir') {
    for (const [k, h] of handles) if (k.startsWith(`${r.dir}/`)) { h.close(); handles.delete(k); }
    return;
  }
  if (r.op === 'open') {
    if (handles.has(key)) return;
    const root = await (await navigator.storage.getDirectory()).getDirectoryHandle(OPFS_ROOT, { create: true });
    const dir = await root.getDirectoryHandle(r.dir, { create: true });
    const fh = await dir.getFileHandle(r.file!, { create: true });
    handles.set(key, await (fh as unknown as { createSyncAccessHandle(): Promise<SyncHandle> }).createSyncAccessHandle());
    return;
  }
  const h = handles.get(key);
  if (!h) throw new Error(`opfs-worker: ${r.op} on ${key}, which is not open`);
  switch (r.op) {
    case 'write': {
      const bytes = r.bytes!;
      let done = 0;
      while (done < bytes.length) {
        const n = h.write(bytes.subarray(done), { at: r.offset! + done });
        if (n <= 0) throw new Error(`opfs-worker: write of ${bytes.length} bytes at ${r.offset} stalled (disk full?)`);
        done += n;
      }
      return;
    }
    case 'truncate': h.truncate(r.size!); return;
    case 'flush': h.flush(); return;
    case 'close': h.close(); handles.delete(key); return;
  }
}

scope.onmessage = (e) => {
  const r = e.data;
  // One operation at a time, in arrival order: a sync handle is not re-entrant.
  queue = queue.then(() => handle(r)).then(
    () => scope.postMessage({ id: r.id, ok: true }),
    (err: unknown) => scope.postMessage({ id: r.id, ok: false, error: `${(err as Error)?.name ?? 'Error'}: ${(err as Error)?.message ?? String(err)}` }),
  );
};
