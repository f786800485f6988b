/**
 * The worker floor of `npm run bench files` (docs/files.md §17): the stored floor's work — each
 * 255 KiB chunk read, hashed (SHA-256) and sealed (AES-256-GCM) on the sender; opened, hashed and
 * written to OPFS on the receiver — done in one dedicated worker per page, the page only handing
 * buffers between that worker and the data channel (moved, not copied). It measures what the plan
 * of §17 would give Parley at best: the transfer off the UI page, the channel left on it.
 *
 * Page functions, evaluated in the raw pages as strings like the other floors. Each page keeps its
 * worker for all runs (a thread that ends within a run drops out of the per-thread CPU).
 * @module
 */

/** The sender's worker: waits for `start`, then sends sealed chunks to the page as credits allow. */
const SEND_WORKER = `
let credit = 0, wake = null;
onmessage = (e) => {
  const m = e.data;
  if (m.op === 'credit') { credit += m.n; if (wake) { wake(); wake = null; } return; }
  if (m.op === 'start') send(m).catch((err) => postMessage({ error: String(err) }));
};
async function send({ file, keyBytes, credits }) {
  credit = credits;
  const key = await crypto.subtle.importKey('raw', new Uint8Array(keyBytes), 'AES-GCM', false, ['encrypt']);
  let seq = 0;
  for (let at = 0; at < file.size; at += 2 << 20) {
    const block = new Uint8Array(await file.slice(at, Math.min(file.size, at + (2 << 20))).arrayBuffer());
    for (let i = 0; i < block.length; i += 261120) {
      while (credit <= 0) await new Promise((r) => (wake = r));
      credit--;
      const iv = new Uint8Array(12);
      new DataView(iv.buffer).setUint32(8, seq++);
      const plain = block.subarray(i, Math.min(block.length, i + 261120));
      const [sealed] = await Promise.all([
        crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, plain),
        crypto.subtle.digest('SHA-256', plain),
      ]);
      postMessage(sealed, [sealed]);
    }
  }
  postMessage({ end: true });
}`;

/** The receiver's worker: `start` opens the OPFS file; each buffer after it is opened, hashed and written in order. */
const RECEIVE_WORKER = `
let tail = Promise.resolve(), st = null;
onmessage = (e) => {
  const m = e.data;
  tail = tail.then(() => handle(m)).catch((err) => postMessage({ error: String(err) }));
};
async function handle(m) {
  if (m.op === 'start') {
    const key = await crypto.subtle.importKey('raw', new Uint8Array(m.keyBytes), 'AES-GCM', false, ['decrypt']);
    const root = await (await navigator.storage.getDirectory()).getDirectoryHandle('parley-transfers', { create: true });
    const dir = await root.getDirectoryHandle(m.dir, { create: true });
    const handle = await (await dir.getFileHandle('0', { create: true })).createSyncAccessHandle();
    st = { key, root, dir: m.dir, handle, at: 0, seq: 0, total: m.total };
    return;
  }
  const iv = new Uint8Array(12);
  new DataView(iv.buffer).setUint32(8, st.seq++);
  const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv }, st.key, m);
  await crypto.subtle.digest('SHA-256', plain);
  st.handle.write(new Uint8Array(plain), { at: st.at });
  st.at += plain.byteLength;
  if (st.at < st.total) return;
  st.handle.flush();
  postMessage({ done: true });
  st.handle.close();
  await st.root.removeEntry(st.dir, { recursive: true }); // after the clock, like the stored floor's
  st = null;
}`;

/** Chunks the sender's worker may seal ahead of the channel (2 MiB). */
const CREDITS = 8;

/**
 * Sender page: `(keyBytes) => start time`. Hands each sealed chunk to the channel and gives the
 * worker a credit back for it while the channel holds at most 4 MiB (else on `bufferedamountlow`
 * at 1 MiB), as the other floors' senders wait.
 */
export const WORKER_SEND = `async (keyBytes) => {
  const start = Date.now();
  const ch = window.__peer._channel;
  const file = document.getElementById('raw-file').files[0];
  const w = (window.__sendWorker ??= new Worker(URL.createObjectURL(new Blob([${JSON.stringify(SEND_WORKER)}], { type: 'text/javascript' }))));
  ch.bufferedAmountLowThreshold = 1 << 20;
  let owed = 0;
  const give = () => { if (owed) { w.postMessage({ op: 'credit', n: owed }); owed = 0; } };
  ch.addEventListener('bufferedamountlow', give);
  try {
    await new Promise((resolve, reject) => {
      w.onmessage = (e) => {
        if (e.data instanceof ArrayBuffer) {
          ch.send(e.data);
          owed++;
          if (ch.bufferedAmount <= 4 << 20) give();
        } else if (e.data.end) resolve();
        else reject(new Error('sender worker: ' + e.data.error));
      };
      w.postMessage({ op: 'start', file, keyBytes, credits: ${CREDITS} });
    });
  } finally {
    ch.removeEventListener('bufferedamountlow', give);
  }
  return start;
}`;

/** Receiver page: `(total, keyBytes) => end time`, once the worker has written and flushed `total` bytes. */
export const WORKER_RECEIVE = `async (total, keyBytes) => {
  const w = (window.__receiveWorker ??= new Worker(URL.createObjectURL(new Blob([${JSON.stringify(RECEIVE_WORKER)}], { type: 'text/javascript' }))));
  return new Promise((resolve, reject) => {
    let n = 0;
    const timer = setTimeout(() => reject(new Error('receiver worker: nothing written in full after 300 s')), 300000);
    w.onmessage = (e) => {
      clearTimeout(timer);
      if (e.data.done) resolve(Date.now());
      else reject(new Error('receiver worker: ' + e.data.error));
    };
    w.postMessage({ op: 'start', total, keyBytes, dir: 'bench-worker-floor-' + Math.random().toString(16).slice(2) });
    const on = (d) => {
      n += d.byteLength - 16;
      if (n >= total) { window.__peer.removeListener('data', on); window.__receiving = false; }
      const b = d.byteOffset === 0 && d.byteLength === d.buffer.byteLength ? d.buffer : d.slice().buffer;
      w.postMessage(b, [b]);
    };
    window.__peer.on('data', on);
    window.__receiving = true;
  });
}`;
