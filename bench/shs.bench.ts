/**
 * Full SHS handshakes per second, client and server in one process, in round-robin batches of
 * the same run: Parley with the node-native provider (src/node/shs-node-crypto.ts), Parley on
 * WebCrypto (the browsers' path), and the reference npm `secret-handshake` (libsodium through
 * chloride/sodium-native). The WebCrypto ratio is printed on an earlier line; the headline
 * (last line, the JSON result for bench/run.ts) is node-native Parley ÷ reference, native
 * against native. docs/protocol.md, "Performance", has the numbers and the reasons.
 */
import { createRequire } from 'node:module';
import { ed25519 } from '@noble/curves/ed25519.js';
import { ShsClient, ShsServer, type CryptoPath, type ShsCrypto, type ShsStep } from '../src/core/shs';
import { nodeShsCrypto } from '../src/node/shs-node-crypto';

const require = createRequire(import.meta.url);
const referenceShs = require('secret-handshake') as any;
const pull = require('pull-stream') as any;

// Small alternating batches, so the machine's load (shared, noisy) falls on both sides alike.
const TOTAL_MS = Number(process.env.SHS_BENCH_MS ?? 12_000),
  BATCH = 10;

function keyPair() {
  const seed = crypto.getRandomValues(new Uint8Array(32));
  const publicKey = ed25519.getPublicKey(seed);
  return { publicKey, secretKey: new Uint8Array([...seed, ...publicKey]) };
}
const networkKey = crypto.getRandomValues(new Uint8Array(32));
const alice = keyPair(),
  bob = keyPair();

function must(s: ShsStep): Extract<ShsStep, { ok: true }> {
  if (!s.ok) throw new Error(`${s.code}: ${s.message}`);
  return s;
}

async function parleyHandshake(path: CryptoPath | ShsCrypto): Promise<void> {
  const client = new ShsClient({ networkKey, identity: alice, serverPublicKey: bob.publicKey, now: 0, crypto: path });
  const server = new ShsServer({ networkKey, identity: bob, now: 0, crypto: path, authorize: () => true });
  const msg1 = must(await client.start()).send!;
  const msg2 = must(await server.receive(msg1, 0)).send!;
  const msg3 = must(await client.receive(msg2, 0)).send!;
  const s4 = must(await server.receive(msg3, 0));
  const c = must(await client.receive(s4.send!, 0));
  if (!c.session || !s4.session || c.session.encryptKey[0] !== s4.session.decryptKey[0]) throw new Error('keys differ');
}

const refAlice = { publicKey: Buffer.from(alice.publicKey), secretKey: Buffer.from(alice.secretKey) };
const refBob = { publicKey: Buffer.from(bob.publicKey), secretKey: Buffer.from(bob.secretKey) };
const appKey = Buffer.from(networkKey);
const refClient = referenceShs.createClient(refAlice, appKey, 5000);
const refServer = referenceShs.createServer(refBob, (_pk: Buffer, cb: any) => cb(null, true), appKey, 5000);

function referenceHandshake(): Promise<void> {
  return new Promise((resolve, reject) => {
    let n = 0;
    const done = (err: unknown) => {
      if (err) reject(err);
      else if (++n === 2) resolve();
    };
    const c = refClient(refBob.publicKey, done);
    const s = refServer(done);
    pull(c, s, c);
  });
}

interface Tally {
  n: number;
  ms: number;
  cpuMs: number;
}
async function batch(run: () => Promise<void>, t: Tally): Promise<void> {
  const start = performance.now(),
    cpu = process.cpuUsage();
  for (let i = 0; i < BATCH; i++) await run();
  const c = process.cpuUsage(cpu);
  t.n += BATCH;
  t.ms += performance.now() - start;
  t.cpuMs += (c.user + c.system) / 1000;
}
const perSecond = (t: Tally) => t.n / (t.ms / 1000);
const perCpuSecond = (t: Tally) => t.n / (t.cpuMs / 1000);

// Warm up all three (JIT, key import caches, libsodium init).
for (let i = 0; i < 50; i++) {
  await parleyHandshake(nodeShsCrypto);
  await parleyHandshake('webcrypto');
  await referenceHandshake();
}
const native: Tally = { n: 0, ms: 0, cpuMs: 0 },
  web: Tally = { n: 0, ms: 0, cpuMs: 0 },
  reference: Tally = { n: 0, ms: 0, cpuMs: 0 };
const began = performance.now();
// Round-robin batches, the starting contestant rotating, so no side always runs on a warm cache.
const contestants: [() => Promise<void>, Tally][] = [
  [() => parleyHandshake(nodeShsCrypto), native],
  [() => parleyHandshake('webcrypto'), web],
  [referenceHandshake, reference],
];
for (let r = 1; performance.now() - began < TOTAL_MS; r++) {
  for (let k = 0; k < contestants.length; k++) {
    const [run, t] = contestants[(r + k) % contestants.length]!;
    await batch(run, t);
  }
  if (r % 100 === 0)
    console.log(
      `so far: parley node ${perSecond(native).toFixed(0)}/s, parley webcrypto ${perSecond(web).toFixed(0)}/s, reference ${perSecond(reference).toFixed(0)}/s`,
    );
}
const noble: Tally = { n: 0, ms: 0, cpuMs: 0 };
for (let i = 0; i < 2; i++) await parleyHandshake('noble'); // warm-up
await batch(() => parleyHandshake('noble'), noble);
const ratio = (a: number, b: number) => Math.round((a / b) * 1000) / 1000;
console.log(`parley noble path (fallback, informational): ${perSecond(noble).toFixed(0)} handshakes/s`);
console.log(
  `per CPU-second (all threads): parley node ${perCpuSecond(native).toFixed(0)}, parley webcrypto ${perCpuSecond(web).toFixed(0)}, reference ${perCpuSecond(reference).toFixed(0)}`,
);
console.log(`handshakes: parley node ${native.n}, parley webcrypto ${web.n}, reference ${reference.n}`);
console.log(
  `parley webcrypto path (browsers' path) vs reference: ${perSecond(web).toFixed(0)}/s ÷ ${perSecond(reference).toFixed(0)}/s = ratio ${ratio(perSecond(web), perSecond(reference))}` +
    ` (per CPU-second ${ratio(perCpuSecond(web), perCpuSecond(reference))})`,
);
console.log(
  `parley node-native provider vs reference: ${perSecond(native).toFixed(0)}/s ÷ ${perSecond(reference).toFixed(0)}/s = ratio ${ratio(perSecond(native), perSecond(reference))}` +
    ` (per CPU-second ${ratio(perCpuSecond(native), perCpuSecond(reference))})`,
);
const value = perSecond(native),
  baseline = perSecond(reference);
console.log(
  JSON.stringify({
    bench: 'shs',
    value: Math.round(value),
    unit: 'handshakes/s',
    baseline: Math.round(baseline),
    ratio: ratio(value, baseline),
    target: 0.5,
  }),
);
