/**
 * Relay benchmark (`npm run bench relay`, or `npx tsx bench/relay.bench.ts`); docs/relay.md
 * "Measured".
 *
 * (a) Relayed messages/s: PAIRS pairs of clients in this process ping-pong 1 KiB blobs with WINDOW
 *     in flight per direction, for TRIALS alternating trials, through: the relay in memory; two
 *     relay instances sharing one redis-server, each pair split across them (the scale-out path);
 *     a raw `ws` forwarder (bench/raw-forwarder.ts: no protocol, no limits); peerjs-server (npm
 *     `peer`). Same load generator, same frames' size, same run; limits raised so that the cost of
 *     forwarding is what is measured. Server CPU per message is counted from /proc.
 * (b) Memory per idle socket: resident memory of a fresh process of each kind before and after
 *     opening CONNS sockets (for the relay also after each pair joined a room).
 * (c) Abuse: an honest pair's round trips through the relay with its shipped limits, alone and under
 *     a flood of FLOOD_SOCKETS sockets × 45 frames/s × 64 KiB that each stay inside every per-socket
 *     and per-address limit, with the global input budget on and off.
 *
 * Everything stays on 127.0.0.1. Ratios come first; the last line is the JSON summary the bench
 * runner collects (relay in memory vs the raw forwarder).
 */
import { startRedis } from '../test/support/services';
import { honestUnderFlood, memoryOf, relayHeap, subscribePair, type AbuseResult } from './support/relay-phases';
import {
  UNLIMITED,
  connect,
  connectAndHear,
  median,
  peerjsPair,
  pingPong,
  rawPair,
  relayPair,
  round,
  startPeerjs,
  startRaw,
  startRelay,
  stop,
  type Child,
  type Pair,
  type Trial,
} from './support/relay-load';

const PAIRS = Number(process.env.BENCH_PAIRS ?? 8);
const WINDOW = Number(process.env.BENCH_WINDOW ?? 16);
const TRIAL_MS = Number(process.env.BENCH_TRIAL_MS ?? 2000);
const TRIALS = Number(process.env.BENCH_TRIALS ?? 5);
const CONNS = Number(process.env.BENCH_CONNS ?? 2000);
const FLOOD_SOCKETS = Number(process.env.BENCH_FLOOD_SOCKETS ?? 300);
const FLOOD_SECONDS = Number(process.env.BENCH_FLOOD_SECONDS ?? 10);

const ws = (c: Child, path = '/signal') => `ws://127.0.0.1:${c.port}${path}`;

interface Kind {
  name: string;
  pids: number[];
  pair: () => Promise<Pair>;
}

async function throughput(redisUrl: string, redisPid: number): Promise<Map<string, Trial[]>> {
  const relay = await startRelay(UNLIMITED);
  const [one, two] = [
    await startRelay({ ...UNLIMITED, REDIS_URL: redisUrl }),
    await startRelay({ ...UNLIMITED, REDIS_URL: redisUrl }),
  ];
  const raw = await startRaw();
  const peer = await startPeerjs();
  const kinds: Kind[] = [
    { name: 'relay', pids: [relay.child.pid!], pair: () => relayPair(ws(relay)) },
    { name: 'relay-redis', pids: [one.child.pid!, two.child.pid!, redisPid], pair: () => relayPair(ws(one), ws(two)) },
    { name: 'raw', pids: [raw.child.pid!], pair: () => rawPair(ws(raw, '/')) },
    { name: 'peerjs', pids: [peer.child.pid!], pair: () => peerjsPair(`ws://127.0.0.1:${peer.port}`) },
  ];
  const trials = new Map<string, Trial[]>(kinds.map((k) => [k.name, []]));
  // One round first that counts for nothing: the first trial of each fresh process pays for V8's
  // warm-up (it measured 3–4× the CPU per message of the later ones).
  for (const k of kinds)
    await pingPong(await Promise.all(Array.from({ length: PAIRS }, () => k.pair())), WINDOW, TRIAL_MS / 2, k.pids);
  for (let t = 0; t < TRIALS; t++) {
    // Rotate the order so that a slow patch of the (shared) machine hits every server.
    const order = kinds.map((_, i) => kinds[(i + t) % kinds.length]!);
    const line: Record<string, number> = { trial: t + 1 };
    for (const k of order) {
      const pairs = await Promise.all(Array.from({ length: PAIRS }, () => k.pair()));
      const r = await pingPong(pairs, WINDOW, TRIAL_MS, k.pids);
      trials.get(k.name)!.push(r);
      line[`${k.name}MsgsPerSec`] = Math.round(r.rate);
      line[`${k.name}CpuMicrosPerMsg`] = round(r.cpuMicrosPerMsg, 1);
    }
    console.log(JSON.stringify(line));
  }
  for (const c of [relay, one, two, raw, peer]) await stop(c);
  return trials;
}

async function memory(redisUrl: string): Promise<void> {
  const relayOpen = (c: Child) => () => connect(ws(c));
  const stats = { ...UNLIMITED, RELAY_STATS: '1' };
  const results = [
    await (async () => {
      const c = await startRelay(stats, ['--expose-gc']);
      return memoryOf('relay', c, CONNS, relayOpen(c), subscribePair, relayHeap);
    })(),
    await (async () => {
      const c = await startRelay({ ...stats, REDIS_URL: redisUrl }, ['--expose-gc']);
      return memoryOf('relay-redis', c, CONNS, relayOpen(c), subscribePair, relayHeap);
    })(),
    await (async () => {
      const c = await startRaw();
      return memoryOf('raw', c, CONNS, () => connect(ws(c, '/')));
    })(),
    await (async () => {
      const c = await startPeerjs();
      const url = (i: number) => `ws://127.0.0.1:${c.port}/peerjs?key=peerjs&id=m${i + 1}&token=t`;
      return memoryOf('peerjs', c, CONNS, async (i) => (await connectAndHear(url(i)))[0]);
    })(),
  ];
  for (const r of results) console.log(JSON.stringify({ bench: 'relay-memory', unit: 'KiB/connection', ...r }));
}

async function abuse(): Promise<AbuseResult[]> {
  const env = { MAX_CONNECTIONS: String(FLOOD_SOCKETS + 100), TRUST_PROXY_HEADER: 'x-forwarded-for' };
  const out = [
    await honestUnderFlood('idle', await startRelay(env), FLOOD_SECONDS, null),
    await honestUnderFlood('flood, budget on', await startRelay(env), FLOOD_SECONDS, { sockets: FLOOD_SOCKETS }),
    await honestUnderFlood(
      'flood, budget off',
      await startRelay({ ...env, GLOBAL_BYTES_PER_SECOND: '100000000000' }),
      FLOOD_SECONDS,
      { sockets: FLOOD_SOCKETS },
    ),
  ];
  for (const r of out) console.log(JSON.stringify({ bench: 'relay-abuse', floodSockets: FLOOD_SOCKETS, ...r }));
  return out;
}

const redis = await startRedis();
await memory(redis.url);
const abused = await abuse();
const trials = await throughput(redis.url, redis.pid);
await redis.stop();

const rate = (name: string) => median(trials.get(name)!.map((t) => t.rate));
const cpu = (name: string) => median(trials.get(name)!.map((t) => t.cpuMicrosPerMsg));
const ratio = (a: number, b: number) => round(a / b, 3);
for (const [name, vs] of [
  ['relay-redis', 'relay'],
  ['relay-redis', 'raw'],
  ['relay', 'peerjs'],
  ['relay-redis', 'peerjs'],
] as const)
  console.log(
    JSON.stringify({
      compare: `${name} / ${vs}`,
      msgsPerSec: [Math.round(rate(name)), Math.round(rate(vs))],
      ratio: ratio(rate(name), rate(vs)),
      cpuMicrosPerMsg: [round(cpu(name), 1), round(cpu(vs), 1)],
      cpuRatio: ratio(cpu(vs), cpu(name)),
    }),
  );
const idle = abused[0]!;
for (const r of abused.slice(1))
  console.log(
    JSON.stringify({
      compare: `honest round trip, ${r.phase} / idle`,
      median: ratio(r.honestRttMedianMs, idle.honestRttMedianMs),
      p95: ratio(r.honestRttP95Ms, idle.honestRttP95Ms),
    }),
  );
console.log(
  JSON.stringify({
    bench: 'relay',
    value: Math.round(rate('relay')),
    unit: 'msgs/s',
    baseline: Math.round(rate('raw')),
    ratio: ratio(rate('relay'), rate('raw')),
    target: 0.8,
    cpuRatio: ratio(cpu('raw'), cpu('relay')),
    pairs: PAIRS,
    window: WINDOW,
    blobBytes: 1024,
  }),
);
process.exit(0);
