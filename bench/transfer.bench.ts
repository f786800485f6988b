/**
 * `npm run bench transfer`: verified file-transfer throughput of the pure core (src/core/transfer.ts)
 * through an in-memory transport — encode, decode, per-chunk SHA-256, whole-file SHA-256, copy into
 * the destination — against a baseline of plainly copying the same bytes in the same chunks, in
 * the same process. Also: the hashing cost per chunk size (16/64/128/256 KiB), WebCrypto vs @noble.
 * Figures go to docs/files.md.
 */
import { randomFillSync } from 'node:crypto';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  DEFAULT_CHUNK_SIZE, defaultDigest, MAX_CHUNK_SIZE, prepareFile, TransferReceiver, TransferSender, type ChunkDigest, type PreparedFile,
} from '../src/core/transfer';

const MiB = 1024 * 1024;
const SIZE = 64 * MiB;
const src = new Uint8Array(SIZE);
for (let o = 0; o < SIZE; o += 65536) randomFillSync(src.subarray(o, o + 65536));
const dst = new Uint8Array(SIZE);
const mbps = (bytes: number, ms: number) => bytes / MiB / (ms / 1000);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const nobleDigest: ChunkDigest = async (b) => sha256(b);
const readSlice = async (_f: number, s: number, e: number) => src.subarray(s, e);

function baselineCopy(chunk: number): number {
  dst.fill(0);
  const t = performance.now();
  for (let o = 0; o < SIZE; o += chunk) dst.set(src.subarray(o, Math.min(SIZE, o + chunk)), o);
  return mbps(SIZE, performance.now() - t);
}

async function prepare(chunk: number, digest: ChunkDigest): Promise<{ file: PreparedFile; ms: number }> {
  const t = performance.now();
  const file = await prepareFile({ fileIndex: 0, name: 'bench.bin', type: '', size: SIZE, chunkSize: chunk, readSlice, digest });
  return { file, ms: performance.now() - t };
}

/** Offer → accept → hashes → chunks/acks → complete, all in memory. Returns MB/s of the verified transfer. */
async function transfer(file: PreparedFile, digest: ChunkDigest): Promise<number> {
  dst.fill(0);
  const toR: Uint8Array[] = [], toS: Uint8Array[] = [];
  const now = () => performance.now();
  const sender = TransferSender.create({
    id: new Uint8Array(16).fill(1), files: [file], windowBytes: 4 * MiB,
    io: { readSlice, send: (b) => toR.push(b), canSend: () => toR.length < 64, now },
  });
  const t = performance.now();
  sender.offer();
  const made = TransferReceiver.fromOffer(toR.shift()!, {
    writeChunk: async (_f, off, b) => { dst.set(b, off); }, send: (b) => toS.push(b), now, digest,
  }, { windowBytes: 4 * MiB });
  if (!made.ok) throw new Error(made.message);
  const receiver = made.receiver;
  await receiver.accept([0]);
  while (receiver.status === 'active' || sender.status === 'active') {
    for (let m = toS.shift(); m; m = toS.shift()) { const r = await sender.receive(m); if (!r.ok) throw new Error(r.message); }
    for (let m = toR.shift(); m; m = toR.shift()) { const r = await receiver.receive(m); if (!r.ok) throw new Error(r.message); }
    const p = await sender.pump();
    if (!p.ok) throw new Error(p.message);
    if (!toR.length && !toS.length && sender.status === 'active' && receiver.status !== 'active') break;
  }
  const ms = performance.now() - t;
  if (receiver.status !== 'done' || Buffer.compare(Buffer.from(dst), Buffer.from(src)) !== 0) throw new Error('transfer did not verify');
  return mbps(SIZE, ms);
}

async function hashCost(chunk: number, digest: ChunkDigest): Promise<number> {
  const t = performance.now();
  for (let o = 0; o < SIZE; o += chunk) await digest(src.subarray(o, Math.min(SIZE, o + chunk)));
  return mbps(SIZE, performance.now() - t);
}

function wholeHashCost(): number {
  const t = performance.now();
  const h = sha256.create();
  for (let o = 0; o < SIZE; o += DEFAULT_CHUNK_SIZE) h.update(src.subarray(o, Math.min(SIZE, o + DEFAULT_CHUNK_SIZE)));
  h.digest();
  return mbps(SIZE, performance.now() - t);
}

const RUNS = 3;
console.log(`transfer-core: ${SIZE / MiB} MiB random, default chunk ${DEFAULT_CHUNK_SIZE} B, median of ${RUNS} runs, node ${process.version}`);

console.log('\nper-chunk SHA-256 cost (MB/s of data hashed):');
console.log('chunk      webcrypto   noble');
for (const kib of [16, 64, 128, 256]) {
  const w: number[] = [], n: number[] = [];
  for (let i = 0; i < RUNS; i++) { w.push(await hashCost(kib * 1024, defaultDigest)); n.push(await hashCost(kib * 1024, nobleDigest)); }
  console.log(`${String(kib).padStart(3)} KiB   ${median(w).toFixed(0).padStart(8)}  ${median(n).toFixed(0).padStart(6)}`);
}
const whole: number[] = [];
for (let i = 0; i < RUNS; i++) whole.push(wholeHashCost());
console.log(`whole-file incremental SHA-256 (@noble): ${median(whole).toFixed(0)} MB/s`);

console.log('\nverified transfer through the in-memory transport (MB/s), vs plain copy:');
console.log('chunk      prepare   transfer   copy');
let headline = { value: 0, baseline: 0 };
for (const chunk of [16 * 1024, DEFAULT_CHUNK_SIZE, 128 * 1024, MAX_CHUNK_SIZE]) {
  const prep: number[] = [], tr: number[] = [], base: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const p = await prepare(chunk, defaultDigest);
    prep.push(mbps(SIZE, p.ms));
    tr.push(await transfer(p.file, defaultDigest));
    base.push(baselineCopy(chunk));
  }
  console.log(`${String(chunk).padStart(6)} B  ${median(prep).toFixed(0).padStart(8)}  ${median(tr).toFixed(0).padStart(8)}  ${median(base).toFixed(0).padStart(6)}`);
  if (chunk === DEFAULT_CHUNK_SIZE) headline = { value: median(tr), baseline: median(base) };
}
const noble: number[] = [];
for (let i = 0; i < RUNS; i++) noble.push(await transfer((await prepare(DEFAULT_CHUNK_SIZE, nobleDigest)).file, nobleDigest));
console.log(`transfer with @noble per-chunk digest instead of WebCrypto: ${median(noble).toFixed(0)} MB/s`);
console.log(`raw Chromium data channel for comparison (NOTES.md): ~20 MB/s → the core uses ~${((20 / headline.value) * 100).toFixed(0)}% of one core at that rate`);

const round = (x: number) => Math.round(x * 10) / 10;
console.log(JSON.stringify({
  bench: 'transfer-core', value: round(headline.value), unit: 'MB/s', baseline: round(headline.baseline),
  ratio: Math.round((headline.value / headline.baseline) * 1000) / 1000, target: 0.9,
}));
