/**
 * Dedicated worker behind `OpfsFileStore` (docs/files.md "Glue"): writes received chunks into
 * the Origin Private File System through `FileSystemSyncAccessHandle`, which (unlike
 * `createWritable`) writes in place at any offset and makes the bytes durable on `flush()`
 * without copying the whole file into a swap file on every commit. Sync access handles exist
 * only in dedicated workers, hence this file.
 *
 * It also keeps each file's whole SHA-256 over the bytes it writes (docs/files.md §8, "Whole-file
 * hash"), so the receiving page's main thread does not: writes at the end of the contiguous prefix
 * are hashed at once, writes past a gap are held (the core's window bounds them) until the gap is
 * filled. A file opened with data in it (a resume) is hashed again from disk up to its size, or
 * up to the size it is truncated to.
 *
 * Protocol: `{ id, op, dir, file, offset?, bytes?, size? }` → `{ id, ok: true, digest?, impl? }` or
 * `{ id, ok: false, error }`. Operations: open, write, truncate, flush, close, closeDir, digest
 * (the SHA-256 of the file's contiguous prefix from byte 0).
 * @module
 */
import { createFastSha256, type FastSha256 } from './fast-sha256';

/** Which implementation the last hash state uses (reported with each digest, for tests and diagnostics). */
let impl: 'wasm' | 'noble' = 'wasm';
async function newSha256(): Promise<FastSha256> {
  const h = await createFastSha256();
  impl = h.impl;
  return h;
}

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
  op: 'open' | 'write' | 'truncate' | 'flush' | 'close' | 'closeDir' | 'digest';
  dir: string;
  file?: string;
  offset?: number;
  bytes?: Uint8Array;
  size?: number;
}

/** Top-level OPFS directory that holds one directory per transfer. */
export const OPFS_ROOT = 'parley-transfers';

const scope = globalThis as unknown as {
  onmessage: ((e: MessageEvent<Request>) => void) | null;
  postMessage(m: unknown): void;
};
const handles = new Map<string, SyncHandle>();
/** Whole-file hash per open file: bytes [0, end) hashed; `held`: written past a gap (offset → bytes). null: not started. */
const hashes = new Map<string, { sha: FastSha256; end: number; held: Map<number, Uint8Array> } | null>();
let queue: Promise<unknown> = Promise.resolve();

/** The file's hash state; when there is none yet, starts one over what is on disk. */
async function hashOf(key: string, h: SyncHandle) {
  let x = hashes.get(key);
  if (x) return x;
  x = { sha: await newSha256(), end: 0, held: new Map() };
  const buf = new Uint8Array(1 << 20),
    upTo = h.getSize();
  while (x.end < upTo) {
    const n = h.read(buf.subarray(0, Math.min(buf.length, upTo - x.end)), { at: x.end });
    if (n <= 0) break;
    x.sha.update(buf.subarray(0, n));
    x.end += n;
  }
  hashes.set(key, x);
  return x;
}

async function handle(r: Request): Promise<Uint8Array | void> {
  const key = `${r.dir}/${r.file ?? ''}`;
  if (r.op === 'closeDir') return closeDir(r.dir);
  if (r.op === 'open') return openFile(key, r.dir, r.file!);
  const h = handles.get(key);
  if (!h) throw new Error(`opfs-worker: ${r.op} on ${key}, which is not open`);
  switch (r.op) {
    case 'write':
      return writeAt(key, h, r.offset!, r.bytes!);
    case 'truncate':
      return truncateTo(key, h, r.size!);
    case 'flush':
      h.flush();
      return;
    case 'close':
      h.close();
      handles.delete(key);
      hashes.delete(key);
      return;
    case 'digest':
      return (await hashOf(key, h)).sha.peek();
  }
}

function closeDir(dir: string): void {
  for (const [k, h] of handles)
    if (k.startsWith(`${dir}/`)) {
      h.close();
      handles.delete(k);
      hashes.delete(k);
    }
}

async function openFile(key: string, dirName: string, file: string): Promise<void> {
  if (handles.has(key)) return;
  const root = await (await navigator.storage.getDirectory()).getDirectoryHandle(OPFS_ROOT, { create: true });
  const dir = await root.getDirectoryHandle(dirName, { create: true });
  const fh = await dir.getFileHandle(file, { create: true });
  handles.set(key, await (fh as unknown as { createSyncAccessHandle(): Promise<SyncHandle> }).createSyncAccessHandle());
  hashes.set(key, null); // started on first use: a resume truncates first, and only then is the prefix known
}

/** Writes `bytes` at `offset` and feeds the running hash whatever is now contiguous from 0. */
async function writeAt(key: string, h: SyncHandle, offset: number, bytes: Uint8Array): Promise<void> {
  const x = await hashOf(key, h); // before the write: a first write after open hashes what was there
  let done = 0;
  while (done < bytes.length) {
    const n = h.write(bytes.subarray(done), { at: offset + done });
    if (n <= 0) throw new Error(`opfs-worker: write of ${bytes.length} bytes at ${offset} stalled (disk full?)`);
    done += n;
  }
  if (offset > x.end) x.held.set(offset, bytes);
  else if (offset === x.end) {
    // Below the end: verified bytes written again (same content), already hashed.
    x.sha.update(bytes);
    x.end += bytes.length;
    for (let b = x.held.get(x.end); b; b = x.held.get(x.end)) {
      x.held.delete(x.end);
      x.sha.update(b);
      x.end += b.length;
    }
  }
}

async function truncateTo(key: string, h: SyncHandle, size: number): Promise<void> {
  h.truncate(size);
  const x = hashes.get(key);
  if (x && x.end <= size) {
    for (const o of x.held.keys()) if (o >= size) x.held.delete(o);
    return;
  }
  hashes.set(key, null); // (re)start from what is on disk now: a resume cuts the file to its verified prefix
  await hashOf(key, h);
}

scope.onmessage = (e) => {
  const r = e.data;
  // One operation at a time, in arrival order: a sync handle is not re-entrant.
  queue = queue
    .then(() => handle(r))
    .then(
      (digest) => scope.postMessage({ id: r.id, ok: true, ...(digest ? { digest, impl } : {}) }),
      (err: unknown) =>
        scope.postMessage({
          id: r.id,
          ok: false,
          error: `${(err as Error)?.name ?? 'Error'}: ${(err as Error)?.message ?? String(err)}`,
        }),
    );
};
