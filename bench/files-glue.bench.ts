/**
 * `npm run bench files-glue`: TransferManager (src/net/transfers.ts) over a real loopback data
 * channel (node-datachannel) with real secure frames (test/support/ndc-link.ts), by chunk size
 * and high-water mark: wall and CPU MB/s from accept to complete, and how long a chat message
 * sent mid-transfer takes to arrive. Baseline: the raw data channel carrying the same bytes in
 * 128 KiB messages (no frames, no hashing), same process and run. Figures go to docs/files.md.
 */
import { randomFillSync } from 'node:crypto';
import nodeDataChannel from 'node-datachannel';
import { MemoryFileStore } from '../src/net/file-store';
import { TransferManager, type TransferManagerEvent, type TransferRecord } from '../src/net/transfers';
import { ndcPair } from '../test/support/ndc-link';

const MiB = 1 << 20;
const SIZE = 32 * MiB;
const RUNS = 3;
const src = new Uint8Array(SIZE);
for (let o = 0; o < SIZE; o += 65536) randomFillSync(src.subarray(o, o + 65536));
const file = new File([src], 'bench.bin');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const none = { save: async () => {}, remove: async () => {}, load: async () => [] as TransferRecord[] };

async function glue(
  chunkSize: number,
  highWaterBytes: number,
): Promise<{ wall: number; cpu: number; chatMs: number; maxQueued: number }> {
  const [la, lb] = await ndcPair();
  const mk = (contact: string) =>
    TransferManager.open({
      contact,
      store: new MemoryFileStore(),
      persistence: none,
      tickMs: 0,
      chunkSize,
      highWaterBytes,
    });
  const a = await mk('b'),
    b = await mk('a');
  a.attach(la);
  b.attach(lb);
  const until = (m: TransferManager, pred: (e: TransferManagerEvent) => boolean) =>
    new Promise<void>((r) => {
      const off = m.on((e) => {
        if (pred(e)) {
          off();
          r();
        }
      });
    });
  const offered = until(b, (e) => e.type === 'offered');
  const id = await a.send([file]);
  await offered;
  let chatAt = 0,
    chatMs = -1,
    chatSent = false;
  lb.onMessage((m) => {
    if (m.type === 'chat') chatMs = performance.now() - chatAt;
  });
  b.on((e) => {
    if (!chatSent && e.type === 'progress' && e.progress.done >= SIZE / 2) {
      chatSent = true;
      chatAt = performance.now();
      void la.send({ type: 'chat', id: 'c', text: 'ping', sentAt: 0 });
    }
  });
  const done = until(a, (e) => e.type === 'complete');
  const c0 = process.cpuUsage(),
    t0 = performance.now();
  await b.accept(id);
  await done;
  const c = process.cpuUsage(c0),
    t = performance.now() - t0;
  la.cut();
  return {
    wall: SIZE / MiB / (t / 1000),
    cpu: SIZE / MiB / ((c.user + c.system) / 1e6),
    chatMs,
    maxQueued: a.maxQueued,
  };
}

async function raw(): Promise<number> {
  const [la, lb] = await ndcPair();
  const msg = 131072;
  let got = 0;
  const all = new Promise<void>((r) =>
    lb.dc.onMessage((m) => {
      got += (m as Buffer).length;
      if (got >= SIZE) r();
    }),
  );
  const t0 = performance.now();
  for (let o = 0; o < SIZE; o += msg) {
    while (la.dc.bufferedAmount() > MiB)
      await new Promise<void>((r) => {
        const off = la.onDrain(() => {
          off();
          r();
        });
      });
    la.dc.sendMessageBinary(src.subarray(o, o + msg));
  }
  await all;
  const t = performance.now() - t0;
  la.cut();
  return SIZE / MiB / (t / 1000);
}

const configs: [number, number][] = [
  [65472, 256 * 1024],
  [130944, 128 * 1024],
  [130944, 256 * 1024],
  [130944, 1 * MiB],
  [130944, 4 * MiB],
  [261120, 256 * 1024],
];
const base: number[] = [];
for (let i = 0; i < RUNS; i++) base.push(await raw());
console.log(`raw data channel, 128 KiB messages: ${median(base).toFixed(1)} MB/s`);
console.log('chunk    high-water   wall MB/s  CPU MB/s  chat latency mid-transfer  max queued');
let headline = 0;
for (const [chunk, hw] of configs) {
  const rs = [];
  for (let i = 0; i < RUNS; i++) rs.push(await glue(chunk, hw));
  const w = median(rs.map((r) => r.wall)),
    cpu = median(rs.map((r) => r.cpu)),
    chat = median(rs.map((r) => r.chatMs));
  console.log(
    `${String(chunk).padStart(6)}  ${String(hw / 1024).padStart(6)} KiB  ${w.toFixed(1).padStart(9)}  ${cpu.toFixed(1).padStart(8)}  ${chat.toFixed(1).padStart(10)} ms  ${Math.max(...rs.map((r) => r.maxQueued))}`,
  );
  if (chunk === 130944 && hw === 256 * 1024) headline = w;
}
nodeDataChannel.cleanup();
const round = (x: number) => Math.round(x * 10) / 10;
console.log(
  JSON.stringify({
    bench: 'files-glue',
    value: round(headline),
    unit: 'MB/s',
    baseline: round(median(base)),
    ratio: Math.round((headline / median(base)) * 1000) / 1000,
    target: 0.5,
  }),
);
process.exit(0);
