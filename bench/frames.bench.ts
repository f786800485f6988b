/**
 * Secure frames throughput: Parley's FrameChannel (AES-256-GCM through WebCrypto) sealing and
 * opening 64 KiB frames, against the reference box-stream (pull-box-stream, whose crypto is
 * libsodium's XSalsa20-Poly1305 through chloride → sodium-native), measured in the same process.
 * Also printed for context: box-stream built directly on chloride's secretbox (no pull-stream),
 * one libsodium secretbox per whole 64 KiB buffer (faster, but not box-stream, whose packets
 * stop at 4 KiB), Parley awaiting every frame, and Parley on the @noble fallback.
 *
 * MB/s = payload bytes sealed and opened / wall time. Rounds are interleaved and the median of
 * each series is reported. Last line: the JSON summary (value = Parley pipelined, baseline =
 * pull-box-stream).
 */
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { FrameChannel, type AeadBackend } from '../src/core/frames';

const require = createRequire(import.meta.url);
const pull = require('pull-stream') as any;
const boxes = require('pull-box-stream') as any;
const sodium = require('chloride') as any;

const FRAME = 65536;
const TOTAL = Number(process.env.FRAMES_BENCH_MB ?? 64) * 2 ** 20; // payload bytes per round
const ROUNDS = Number(process.env.FRAMES_BENCH_ROUNDS ?? 7);
const PIPELINE = 8; // seals in flight
const payload = new Uint8Array(randomBytes(FRAME));
const count = Math.floor(TOTAL / FRAME);

function keys() {
  const k1 = new Uint8Array(randomBytes(32)),
    n1 = new Uint8Array(randomBytes(24));
  const k2 = new Uint8Array(randomBytes(32)),
    n2 = new Uint8Array(randomBytes(24));
  return {
    a: { encryptKey: k1, encryptNonce: n1, decryptKey: k2, decryptNonce: n2 },
    b: { encryptKey: k2, encryptNonce: n2, decryptKey: k1, decryptNonce: n1 },
  };
}

async function confirmed(aead: AeadBackend) {
  const k = keys();
  const a = await FrameChannel.create(k.a, { aead });
  const b = await FrameChannel.create(k.b, { aead });
  await b.open(await a.confirmation());
  return { a, b };
}

/** Parley: the sender keeps `depth` seals in flight; the receiver opens each frame as it arrives. */
async function parley(aead: AeadBackend, depth: number, n = count): Promise<number> {
  const { a, b } = await confirmed(aead);
  let received = 0;
  const t0 = performance.now();
  const inflight: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) {
    inflight.push(
      a
        .seal(payload)
        .then((f) => b.open(f))
        .then((r) => {
          if (!r.ok || r.kind !== 'data') throw new Error(`bench: frame rejected: ${JSON.stringify(r)}`);
          received += r.payload.length;
        }),
    );
    if (inflight.length >= depth) await inflight.shift();
  }
  await Promise.all(inflight);
  const dt = performance.now() - t0;
  if (received !== n * FRAME) throw new Error('bench: lost bytes');
  return received / 1e6 / (dt / 1000);
}

/** The reference: pull-box-stream encrypt → decrypt of the same 64 KiB writes. */
function pullBoxStream(): Promise<number> {
  const key = randomBytes(32),
    nonce = randomBytes(24);
  const chunks = Array.from({ length: count }, () => Buffer.from(payload.buffer, payload.byteOffset, payload.length));
  return new Promise((resolve, reject) => {
    let received = 0;
    const t0 = performance.now();
    pull(
      pull.values(chunks),
      boxes.createBoxStream(key, nonce),
      boxes.createUnboxStream(key, nonce),
      pull.drain(
        (b: Buffer) => {
          received += b.length;
        },
        (err: unknown) => {
          const dt = performance.now() - t0;
          if (err || received !== count * FRAME) return reject(err ?? new Error('bench: lost bytes'));
          resolve(received / 1e6 / (dt / 1000));
        },
      ),
    );
  });
}

/** Box-stream built straight on chloride's secretbox (4 KiB packets, header + body each), no streams. */
function chlorideBoxStream(): number {
  const key = randomBytes(32);
  const inc = (n: Buffer) => {
    for (let i = 23; i >= 0; i--) {
      n[i] = (n[i]! + 1) & 0xff;
      if (n[i]) break;
    }
    return n;
  };
  const sendNonce = randomBytes(24),
    recvNonce = Buffer.from(sendNonce);
  const buf = Buffer.from(payload.buffer, payload.byteOffset, payload.length);
  const head = Buffer.alloc(18);
  let received = 0;
  const t0 = performance.now();
  for (let f = 0; f < count; f++) {
    for (let at = 0; at < FRAME; at += 4096) {
      const plain = buf.subarray(at, at + 4096);
      // seal: body under N+1, header (length ‖ body MAC) under N
      const bodyNonce = inc(Buffer.from(sendNonce));
      const body: Buffer = sodium.crypto_secretbox_easy(plain, bodyNonce, key);
      head.writeUInt16BE(plain.length, 0);
      body.copy(head, 2, 0, 16);
      const header: Buffer = sodium.crypto_secretbox_easy(head, sendNonce, key);
      inc(inc(sendNonce));
      // open
      const h: Buffer = sodium.crypto_secretbox_open_easy(header, recvNonce, key);
      const mac = h.subarray(2, 18);
      const opened: Buffer = sodium.crypto_secretbox_open_easy(
        Buffer.concat([mac, body.subarray(16)]),
        inc(Buffer.from(recvNonce)),
        key,
      );
      if (!opened) throw new Error('bench: box-stream packet rejected');
      inc(inc(recvNonce));
      received += opened.length;
    }
  }
  const dt = performance.now() - t0;
  return received / 1e6 / (dt / 1000);
}

/** Not box-stream (its packets stop at 4 KiB): one libsodium secretbox seal + open per whole 64 KiB frame. */
function chlorideWholeFrame(): number {
  const key = randomBytes(32),
    nonce = randomBytes(24);
  const buf = Buffer.from(payload.buffer, payload.byteOffset, payload.length);
  let received = 0;
  const t0 = performance.now();
  for (let f = 0; f < count; f++) {
    const boxed: Buffer = sodium.crypto_secretbox_easy(buf, nonce, key);
    const opened: Buffer = sodium.crypto_secretbox_open_easy(boxed, nonce, key);
    if (!opened) throw new Error('bench: secretbox rejected');
    received += opened.length;
  }
  return received / 1e6 / ((performance.now() - t0) / 1000);
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const series: Record<string, number[]> = {
  parley: [],
  parleySerial: [],
  pullBoxStream: [],
  chlorideBoxStream: [],
  chlorideWholeFrame: [],
};

await parley('webcrypto', PIPELINE, 64); // warm-up
await pullBoxStream();
chlorideBoxStream();
for (let r = 0; r < ROUNDS; r++) {
  series.parley!.push(await parley('webcrypto', PIPELINE));
  series.pullBoxStream!.push(await pullBoxStream());
  series.parleySerial!.push(await parley('webcrypto', 1));
  series.chlorideBoxStream!.push(chlorideBoxStream());
  series.chlorideWholeFrame!.push(chlorideWholeFrame());
}
const noble = await parley('noble', 1, 64);

const m = Object.fromEntries(Object.entries(series).map(([k, v]) => [k, median(v)])) as Record<string, number>;
const f = (x: number) => x.toFixed(1);
console.log(`frames: ${count} × 64 KiB per round, ${ROUNDS} rounds, medians (MB/s of payload sealed + opened)`);
console.log(
  `  parley WebCrypto AES-256-GCM, ${PIPELINE} seals in flight: ${f(m.parley!)}   [${series.parley!.map(f).join(' ')}]`,
);
console.log(
  `  parley WebCrypto, awaiting each frame:        ${f(m.parleySerial!)}   [${series.parleySerial!.map(f).join(' ')}]`,
);
console.log(`  parley @noble/ciphers gcm fallback (1 round):  ${f(noble)}`);
console.log(
  `  pull-box-stream (chloride/sodium-native):      ${f(m.pullBoxStream!)}   [${series.pullBoxStream!.map(f).join(' ')}]`,
);
console.log(
  `  box-stream on chloride secretbox, no streams:  ${f(m.chlorideBoxStream!)}   [${series.chlorideBoxStream!.map(f).join(' ')}]`,
);
console.log(
  `  (not box-stream) one secretbox per 64 KiB:     ${f(m.chlorideWholeFrame!)}   [${series.chlorideWholeFrame!.map(f).join(' ')}]`,
);
const paired = median(series.parley!.map((v, i) => v / series.pullBoxStream![i]!));
console.log(`  median of per-round ratios parley / pull-box-stream (robust to load drift): ${paired.toFixed(2)}`);
const value = m.parley!,
  baseline = m.pullBoxStream!;
console.log(
  JSON.stringify({
    bench: 'frames',
    value: Number(f(value)),
    unit: 'MB/s',
    baseline: Number(f(baseline)),
    ratio: Number((value / baseline).toFixed(3)),
    target: 1.0,
  }),
);
