/**
 * `npm run bench link`: time from `openLink` to a confirmed SecureLink on both sides, node to
 * node (node-datachannel on 127.0.0.1) through the real relay in this process — median of 15.
 * Baseline, measured in the same run and interleaved round by round: a raw simple-peer data
 * channel through the same relay with unsealed signals (no hello, no sealing, no SHS, no key
 * confirmation). The ratio is what Parley's verification costs on top of bare WebRTC.
 */
import { generateIdentity } from '../src/core/identity';
import { WebSocket } from 'ws';
import { createRelay } from '../server/relay';
import { openLink } from '../src/net/link';
import { DataPeer, type PeerSignal } from '../src/net/peer';
import { SignalingClient, type RoomEvent, type WebSocketConstructor, toBase64url } from '../src/net/signaling';
import { nodeWrtc, warmUpWebRtc } from '../test/support/wrtc';

const ROUNDS = 15;
const relay = createRelay({ logLevel: 'silent', staticDir: '/nonexistent' });
const { port } = await relay.listen(0, '127.0.0.1');
const url = `ws://127.0.0.1:${port}/signal`;
const sig = () => new SignalingClient(url, { WebSocket: WebSocket as unknown as WebSocketConstructor });
let sigA!: SignalingClient, sigB!: SignalingClient;
/** Fresh, open relay sockets for each measurement (as two app starts would have; and the relay's per-socket rate limit is not what is measured). */
async function freshSockets(): Promise<void> {
  for (const s of [sigA, sigB]) s?.close();
  [sigA, sigB] = [sig(), sig()];
  await Promise.all(
    [sigA, sigB].map(
      (s) =>
        new Promise<void>((r) => {
          if (s.status === 'open') r();
          else
            s.onStatus((x) => {
              if (x === 'open') r();
            });
        }),
    ),
  );
}
const keyPair = () => generateIdentity((n) => crypto.getRandomValues(new Uint8Array(n)));
const server = keyPair(),
  client = keyPair();

async function parley(): Promise<number> {
  await freshSockets();
  const secret = crypto.getRandomValues(new Uint8Array(32));
  const common = { rendezvousSecret: secret, iceServers: [], wrtc: nodeWrtc, timeoutMs: 20_000 };
  const t0 = performance.now();
  const [a, b] = await Promise.all([
    openLink({ ...common, signaling: sigA, identity: server, shs: { role: 'server', authorize: () => true } }),
    openLink({
      ...common,
      signaling: sigB,
      identity: client,
      shs: { role: 'client', serverPublicKey: server.publicKey },
    }),
  ]);
  const ms = performance.now() - t0;
  if (!a.ok || !b.ok)
    throw new Error(
      `openLink failed (relay close codes ${sigA.lastCloseCode} ${sigB.lastCloseCode}): ${!a.ok ? a.message : ''} ${!b.ok ? b.message : ''}`,
    );
  await Promise.all([a.link.close(), b.link.close()]);
  return ms;
}

/**
 * Bare simple-peer through the relay: A subscribes, B subscribes, B offers on peer-joined.
 * An attempt that libdatachannel fails is run again and not counted (openLink's own retries
 * are counted in its time, so this favours the baseline).
 */
async function raw(): Promise<number> {
  for (let tries = 1; ; tries++) {
    try {
      return await rawOnce();
    } catch (e) {
      if (tries >= 3) throw e;
      rawFailures++;
    }
  }
}
let rawFailures = 0;

async function rawOnce(): Promise<number> {
  await freshSockets();
  const room = toBase64url(crypto.getRandomValues(new Uint8Array(32)));
  const enc = (s: PeerSignal) => new TextEncoder().encode(JSON.stringify(s));
  const dec = (d: Uint8Array) => JSON.parse(new TextDecoder().decode(d)) as PeerSignal;
  const t0 = performance.now();
  const a = new DataPeer({ initiator: false, iceServers: [], wrtc: nodeWrtc });
  let b: DataPeer | null = null;
  const offA = sigA.onRoom(room, (e: RoomEvent) => {
    if (e.type === 'peer-joined' && !b) {
      b = new DataPeer({ initiator: true, iceServers: [], wrtc: nodeWrtc });
      b.onSignal((s) => sigB.publish(room, enc(s)));
      offB = sigB.onRoom(room, (x) => {
        if (x.type === 'message') b!.signal(dec(x.data));
      });
    }
    if (e.type === 'message') a.signal(dec(e.data));
  });
  let offB = () => {};
  a.onSignal((s) => sigA.publish(room, enc(s)));
  sigA.subscribe(room);
  await new Promise<void>((r) => {
    const off = sigA.onRoom(room, (e) => {
      if (e.type === 'subscribed') {
        off();
        r();
      }
    });
  });
  sigB.subscribe(room);
  while (!b) await new Promise((r) => setTimeout(r, 1));
  (b as DataPeer).connected.catch(() => {});
  const cleanup = () => {
    offA();
    offB();
    sigA.unsubscribe(room);
    sigB.unsubscribe(room);
    a.destroy();
    (b as DataPeer | null)?.destroy();
  };
  try {
    await Promise.all([a.connected, (b as DataPeer).connected]);
    return performance.now() - t0;
  } finally {
    cleanup();
  }
}

await warmUpWebRtc();
await raw();
await parley(); // warm-up
const series = { parley: [] as number[], raw: [] as number[] };
for (let i = 0; i < ROUNDS; i++) {
  series.raw.push(await raw());
  series.parley.push(await parley());
}
sigA.close();
sigB.close();
await relay.close();
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const value = median(series.parley),
  baseline = median(series.raw);
const f = (x: number) => Number(x.toFixed(1));
console.log(
  `link: openLink → confirmed SecureLink on both sides, node-datachannel on loopback, real relay, ${ROUNDS} rounds (ms)`,
);
console.log(
  `  openLink (hello, sealed signals, WebRTC, SHS, key confirmation): median ${f(value)}  [${series.parley.map(f).join(' ')}]`,
);
console.log(
  `  raw simple-peer data channel through the relay:                  median ${f(baseline)}  [${series.raw.map(f).join(' ')}]`,
);
if (rawFailures) console.log(`  (${rawFailures} raw attempt(s) failed inside libdatachannel and were re-run)`);
console.log(`  median of per-round ratios: ${median(series.parley.map((v, i) => v / series.raw[i]!)).toFixed(2)}`);
console.log(
  JSON.stringify({
    bench: 'link',
    value: f(value),
    unit: 'ms',
    baseline: f(baseline),
    ratio: Number((value / baseline).toFixed(3)),
    target: 2.0,
  }),
);
process.exit(0);
