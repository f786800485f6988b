/**
 * `npm run bench transfer`: verified file-transfer throughput of the pure core (src/core/transfer.ts)
 * through an in-memory transport — encode, decode, the sender's running whole-file SHA-256 as it
 * reads, the receiver's whole-file SHA-256 of what it writes, copy into the destination — against a
 * baseline of the integrity work any end-to-end verified transfer must do (hash the file on both
 * sides, copy it) with no protocol around it, in the same process (docs/files.md §11). The ratio is
 * therefore the cost of the protocol itself (framing, state machines, acks, windowing).
 * Figures go to docs/files.md.
 */
import { randomFillSync } from 'node:crypto';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  DEFAULT_CHUNK_SIZE,
  MAX_CHUNK_SIZE,
  TransferReceiver,
  TransferSender,
  type FileOffer,
} from '../src/core/transfer';

const MiB = 1024 * 1024;
const SIZE = 64 * MiB;
const src = new Uint8Array(SIZE);
for (let o = 0; o < SIZE; o += 65536) randomFillSync(src.subarray(o, o + 65536));
const dst = new Uint8Array(SIZE);
const mbps = (bytes: number, ms: number) => bytes / MiB / (ms / 1000);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
/** Wall and CPU (all threads, so WebCrypto's pool counts) MB/s of `fn` over SIZE bytes. The machine is
 *  shared and loaded: CPU-time figures say what the work costs, wall-clock what it got. */
async function timed(fn: () => unknown): Promise<{ wall: number; cpu: number }> {
  const c0 = process.cpuUsage(),
    t0 = performance.now();
  await fn();
  const c = process.cpuUsage(c0),
    t = performance.now() - t0;
  return { wall: mbps(SIZE, t), cpu: mbps(SIZE, (c.user + c.system) / 1000) };
}
const fmt = (xs: { wall: number; cpu: number }[]) =>
  `${median(xs.map((x) => x.wall))
    .toFixed(0)
    .padStart(6)} /${median(xs.map((x) => x.cpu))
    .toFixed(0)
    .padStart(5)}`;
const readSlice = async (_f: number, s: number, e: number) => src.subarray(s, e);

/** The unavoidable integrity work without the protocol: hash the file as read, copy it, hash what was written. */
function baselineCopy(chunk: number): Promise<{ wall: number; cpu: number }> {
  dst.fill(0);
  return timed(async () => {
    const read = sha256.create(),
      written = sha256.create();
    for (let o = 0; o < SIZE; o += chunk) {
      const piece = src.subarray(o, Math.min(SIZE, o + chunk));
      read.update(piece);
      dst.set(piece, o);
      written.update(dst.subarray(o, o + piece.length));
    }
    read.digest();
    written.digest();
  });
}

const offerOf = (chunk: number): FileOffer => ({ name: 'bench.bin', type: '', size: SIZE, chunkSize: chunk });

/** Offer → accept → chunks/acks → digest → complete, all in memory: MB/s of the verified transfer. */
async function transfer(file: FileOffer): Promise<{ wall: number; cpu: number }> {
  dst.fill(0);
  const speed = await timed(() => transferRun(file));
  if (Buffer.compare(Buffer.from(dst.buffer), Buffer.from(src.buffer)) !== 0)
    throw new Error('transfer did not arrive byte-identical');
  return speed;
}

async function transferRun(file: FileOffer): Promise<void> {
  const toR: Uint8Array[] = [],
    toS: Uint8Array[] = [];
  const now = () => performance.now();
  const sender = TransferSender.create({
    id: new Uint8Array(16).fill(1),
    files: [file],
    windowBytes: 4 * MiB,
    io: { readSlice, send: (b) => toR.push(b), canSend: () => toR.length < 64, now },
  });
  sender.offer();
  const made = TransferReceiver.fromOffer(
    toR.shift()!,
    {
      writeChunk: async (_f, off, b) => {
        dst.set(b, off);
      },
      send: (b) => toS.push(b),
      now,
    },
    { windowBytes: 4 * MiB },
  );
  if (!made.ok) throw new Error(made.message);
  const receiver = made.receiver;
  await receiver.accept([0]);
  while (receiver.status === 'active' || sender.status === 'active') {
    for (let m = toS.shift(); m; m = toS.shift()) {
      const r = await sender.receive(m);
      if (!r.ok) throw new Error(r.message);
    }
    // Like a data channel's onmessage: hand over every queued message, then wait for them all.
    const results = await Promise.all(toR.splice(0).map((m) => receiver.receive(m)));
    for (const r of results) if (!r.ok) throw new Error(r.message);
    const p = await sender.pump();
    if (!p.ok) throw new Error(p.message);
    if (!toR.length && !toS.length && sender.status === 'active' && receiver.status !== 'active') break;
  }
  if (receiver.status !== 'done' || sender.status !== 'done')
    throw new Error(`transfer did not finish: ${receiver.status}/${sender.status}`);
}

function wholeHashCost(): Promise<{ wall: number; cpu: number }> {
  return timed(() => {
    const h = sha256.create();
    for (let o = 0; o < SIZE; o += DEFAULT_CHUNK_SIZE)
      h.update(src.subarray(o, Math.min(SIZE, o + DEFAULT_CHUNK_SIZE)));
    h.digest();
  });
}

const RUNS = 3;
console.log(
  `transfer-core: ${SIZE / MiB} MiB random, default chunk ${DEFAULT_CHUNK_SIZE} B, median of ${RUNS} runs, node ${process.version}`,
);
console.log('figures: wall-clock MB/s / CPU-time MB/s (CPU time of all threads)');

const whole = [];
for (let i = 0; i < RUNS; i++) whole.push(await wholeHashCost());
console.log(`whole-file incremental SHA-256 (@noble): ${fmt(whole)}`);

console.log('\nverified transfer through the in-memory transport, vs the bare integrity work (hash + copy):');
console.log('chunk         transfer  2 hashes+copy');
let headline = { value: 0, baseline: 0, cpu: 0 };
for (const chunk of [16 * 1024, DEFAULT_CHUNK_SIZE, 128 * 1024, MAX_CHUNK_SIZE]) {
  const tr = [],
    base = [];
  for (let i = 0; i < RUNS; i++) {
    tr.push(await transfer(offerOf(chunk)));
    base.push(await baselineCopy(chunk));
  }
  console.log(`${String(chunk).padStart(6)} B   ${fmt(tr)}   ${fmt(base)}`);
  if (chunk === DEFAULT_CHUNK_SIZE)
    headline = {
      value: median(tr.map((x) => x.wall)),
      baseline: median(base.map((x) => x.wall)),
      cpu: median(tr.map((x) => x.cpu)),
    };
}
console.log(
  `raw Chromium data channel (NOTES.md): ~20 MB/s → at that rate the verified core needs ~${((20 / headline.cpu) * 100).toFixed(0)}% of one core`,
);

const round = (x: number) => Math.round(x * 10) / 10;
console.log(
  JSON.stringify({
    bench: 'transfer-core',
    value: round(headline.value),
    unit: 'MB/s',
    baseline: round(headline.baseline),
    ratio: Math.round((headline.value / headline.baseline) * 1000) / 1000,
    target: 0.9,
  }),
);
