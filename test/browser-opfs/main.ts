/**
 * Browser page for e2e/opfs-store.spec.ts: exercises OpfsFileStore (worker + sync access handles)
 * and a TransferManager whose receiver writes into OPFS, over an in-page link. Results go to
 * `window.opfsResults`.
 */
import { OpfsFileStore } from '../../src/net/opfs-store';
import { IdbTransferPersistence } from '../../src/net/transfer-idb';
import { TransferManager, type TransferLink, type TransferRecord } from '../../src/net/transfers';
import type { WireMessage } from '../../src/core/wire';
import { decodeWire, encodeWire } from '../../src/core/wire';

const hex = (b: ArrayBuffer) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, '0')).join('');
const sha = async (b: Blob | Uint8Array) =>
  hex(
    await crypto.subtle.digest('SHA-256', b instanceof Blob ? await b.arrayBuffer() : (b as Uint8Array<ArrayBuffer>)),
  );
const rand = (n: number) => {
  const b = new Uint8Array(n);
  for (let o = 0; o < n; o += 65536) crypto.getRandomValues(b.subarray(o, Math.min(n, o + 65536)));
  return b;
};

/** Where the checks are (read by the spec when something hangs). */
const box = window as unknown as { opfsStage: string };
box.opfsStage = '';
async function storeChecks(): Promise<Record<string, unknown>> {
  const store = new OpfsFileStore();
  const id = 'ab'.repeat(16);
  box.opfsStage = 'remove at start';
  await store.remove(id);
  box.opfsStage = 'open';
  const a = rand(131072),
    b = rand(5000),
    aCopy = a.slice(),
    bCopy = b.slice();
  let sink = await store.open(id, 0);
  box.opfsStage = 'write';
  await sink.write(131072, b); // out of order, as chunks beyond a gap arrive
  await sink.write(0, a);
  // Buffers a chunk wholly spans go to the worker (transferred, not copied: docs/files.md §12) …
  const handedOver = a.byteLength === 0 && b.byteLength === 0;
  // … a view over part of a buffer is copied, and the page's buffer stays whole.
  const part = rand(64).subarray(32);
  await sink.write(131072 + 5000, part);
  const partKept = part.byteLength === 32;
  await sink.flush();
  box.opfsStage = 'size';
  const sizeAfterWrites = await store.size(id, 0);
  await sink.close();
  box.opfsStage = 'reopen';
  sink = await store.open(id, 0); // reopening keeps the data (resume after reload)
  await sink.truncate(131072 + 100); // resume: cut to the verified prefix
  await sink.close();
  box.opfsStage = 'read';
  const blob = await store.read(id, 0, 'name.bin', 'application/x-test');
  const expected = new Uint8Array(131172);
  expected.set(aCopy);
  expected.set(bCopy.subarray(0, 100), 131072);
  const sameBytes = (await sha(blob)) === (await sha(expected));
  box.opfsStage = 'list';
  const listed = (await store.list()).includes(id);
  box.opfsStage = 'remove';
  await store.remove(id);
  // The File is a snapshot of the OPFS file: once removed, it can no longer be read (docs/files.md §8).
  const readAfterRemove = await blob.arrayBuffer().then(
    () => 'read',
    (e: Error) => e.name,
  );
  return {
    sizeAfterWrites,
    sizeAfterTruncate: blob.size,
    sameBytes,
    handedOver,
    partKept,
    readAfterRemove,
    name: (blob as File).name,
    type: blob.type,
    listed,
    listedAfterRemove: (await store.list()).includes(id),
  };
}

function pair(): [TransferLink, TransferLink] {
  const mk = () => ({
    msg: new Set<(m: WireMessage) => void>(),
    other: null as null | { msg: Set<(m: WireMessage) => void> },
  });
  const x = mk(),
    y = mk();
  x.other = y;
  y.other = x;
  const link = (s: typeof x): TransferLink => ({
    send: async (m) => {
      const bytes = encodeWire(m);
      setTimeout(() => {
        const d = decodeWire(bytes);
        if (d.ok) for (const cb of s.other!.msg) cb(d.message);
      }, 0);
    },
    onMessage: (cb) => {
      s.msg.add(cb);
      return () => {
        s.msg.delete(cb);
      };
    },
    onClose: () => () => {},
  });
  return [link(x), link(y)];
}

async function managerChecks(): Promise<Record<string, unknown>> {
  box.opfsStage = 'manager';
  const none = { save: async () => {}, remove: async () => {}, load: async () => [] as TransferRecord[] };
  const alice = await TransferManager.open({ contact: 'b', store: new OpfsFileStore(), persistence: none, tickMs: 0 });
  const store = new OpfsFileStore();
  const bob = await TransferManager.open({ contact: 'a', store, persistence: none, tickMs: 0 });
  const [la, lb] = pair();
  alice.attach(la);
  bob.attach(lb);
  const data = rand(5 * 1024 * 1024 + 3);
  const offered = new Promise<string>((r) =>
    bob.on((e) => {
      if (e.type === 'offered') r(e.id);
    }),
  );
  const complete = new Promise<void>((r) =>
    bob.on((e) => {
      if (e.type === 'complete') r();
    }),
  );
  await alice.send([new File([data], 'five.bin', { type: 'application/octet-stream' })]);
  const id = await offered;
  await bob.accept(id);
  await complete;
  const file = await bob.getFile(id, 0);
  const ok = (await sha(file)) === (await sha(data));
  const onDisk = (await store.list()).includes(id);
  await bob.dismiss(id);
  return { ok, size: file.size, onDisk, goneAfterDismiss: !(await store.list()).includes(id) };
}

/** IndexedDB persistence, and a reload of the receiving side restored from it (new manager, same OPFS + DB). */
async function idbChecks(): Promise<Record<string, unknown>> {
  box.opfsStage = 'idb';
  const db = await IdbTransferPersistence.open('parley-transfers-check');
  const file = new File([rand(3000)], 'kept.bin');
  const state = { v: 1, role: 'sender', id: 'cd'.repeat(16), status: 'offered' } as unknown as TransferRecord['state'];
  await db.save({
    id: 'cd'.repeat(16),
    contact: 'x',
    direction: 'out',
    createdAt: 1,
    files: [{ name: 'kept.bin', type: '', size: 3000 }],
    state,
    blobs: [file],
  });
  await db.save({
    id: 'cd'.repeat(16),
    contact: 'x',
    direction: 'out',
    createdAt: 1,
    files: [{ name: 'kept.bin', type: '', size: 3000 }],
    state: { ...state, status: 'active' } as TransferRecord['state'],
  });
  const [r] = await db.load('x');
  const blobOk = r?.blobs?.length === 1 && (await sha(r.blobs[0]!)) === (await sha(file));
  const others = (await db.load('y')).length;
  const ids = await db.ids();
  await db.remove('cd'.repeat(16));
  const after = (await db.load('x')).length;

  box.opfsStage = 'idb reload';
  // A receiver that reloads mid-transfer: managers over OPFS + IndexedDB, the receiving one rebuilt.
  const dbA = await IdbTransferPersistence.open('parley-transfers-a'),
    dbB = await IdbTransferPersistence.open('parley-transfers-b');
  const fast = { progressIntervalMs: 0 }; // a progress event per ack, so "halfway" comes well before the end
  const alice = await TransferManager.open({
    contact: 'b',
    store: new OpfsFileStore(),
    persistence: dbA,
    tickMs: 0,
    saveEveryBytes: 1 << 20,
    transfer: fast,
  });
  let bob = await TransferManager.open({
    contact: 'a',
    store: new OpfsFileStore(),
    persistence: dbB,
    tickMs: 0,
    saveEveryBytes: 1 << 20,
    transfer: fast,
  });
  let [la, lb] = pair();
  alice.attach(la);
  bob.attach(lb);
  const data = rand(6 * 1024 * 1024);
  const offered = new Promise<string>((res) =>
    bob.on((e) => {
      if (e.type === 'offered') res(e.id);
    }),
  );
  await alice.send([new File([data], 'six.bin')]);
  const id = await offered;
  const halfway = new Promise<void>((res) =>
    bob.on((e) => {
      if (e.type === 'progress' && e.progress.done >= 3 * 1024 * 1024) res();
    }),
  );
  await bob.accept(id);
  await halfway;
  box.opfsStage = 'idb reload: closing';
  alice.detach();
  bob.detach();
  await bob.close();
  box.opfsStage = 'idb reload: reopening';
  bob = await TransferManager.open({ contact: 'a', store: new OpfsFileStore(), persistence: dbB, tickMs: 0 });
  const restored = bob.list()[0];
  box.opfsStage = `idb reload: waiting for completion after restoring ${restored?.status} at ${restored?.done}`;
  const complete = new Promise<void>((res) =>
    bob.on((e) => {
      if (e.type === 'complete') res();
    }),
  );
  [la, lb] = pair();
  alice.attach(la);
  bob.attach(lb);
  await complete;
  const got = new Uint8Array(await (await bob.getFile(id, 0)).arrayBuffer());
  const same = (await sha(got)) === (await sha(data));
  if (!same) {
    let i = 0;
    while (i < data.length && got[i] === data[i]) i++;
    let zeros = 0;
    for (let k = i; k < Math.min(got.length, i + 200000); k++) if (got[k] === 0) zeros++;
    box.opfsStage = `mismatch at ${i} of ${data.length}, got length ${got.length}, restored done ${restored?.done}, zeros after ${zeros}`;
    throw new Error('mismatch');
  }
  await bob.dismiss(id);
  return {
    blobOk,
    others,
    ids,
    after,
    restoredStatus: restored?.status,
    restoredSome: (restored?.done ?? 0) > 0,
    same,
  };
}

(async () => {
  try {
    (window as unknown as { opfsResults: unknown }).opfsResults = {
      store: await storeChecks(),
      manager: await managerChecks(),
      idb: await idbChecks(),
    };
  } catch (e) {
    (window as unknown as { opfsResults: unknown }).opfsResults = {
      error: `${box.opfsStage}: ${String((e as Error)?.stack ?? e)}`,
    };
  }
})();
