/**
 * Group fan-out: CPU to send one group message to N = 20 members over their pairwise ratchets
 * (docs/groups.md §6.4), two ways, against the baseline of 20 separate 1:1 chat sends of the same
 * text (what a person pays today to send it to 20 contacts), all in one process and one run:
 *
 * - copies: the group message encoded once, then per member its wire envelope (with that member's
 *   outbox id), one ratchet encryption of the whole message, and the outer `ratchet` wire message;
 * - wrapped: the message body encrypted once under a fresh key (XChaCha20-Poly1305, as the ratchet
 *   seals bodies), then per member one ratchet encryption of the key (+ nonce) only, the body
 *   ciphertext appended to that member's wire bytes (it must still travel over each link).
 *
 * CPU = process.cpuUsage (user + system, all threads) per fan-out, median of rounds that rotate
 * which contestant goes first. Also printed: the receivers' CPU (20 decryptions) per message.
 *
 * Then delivery over real links (bench/support/group-latency.ts): the time from a group send to
 * the last of 20 members showing it, against 20 separate 1:1 sends of the same text, medians of
 * rounds that alternate which goes first. Run: `npm run bench group`.
 * Last line: JSON, value = the chosen way (copies) at 1 KiB, baseline = 20 1:1 sends; `latency`
 * holds the delivery medians (ms) and their ratio.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { randomBytes } from '@noble/hashes/utils.js';
import {
  decrypt,
  encrypt,
  generateRatchetKeyPair,
  initInitiator,
  initResponder,
  type RatchetState,
} from '../src/core/ratchet';
import { encodeGroup } from '../src/core/group-wire';
import { decodeWire, encodeWire } from '../src/core/wire';
import { groupLatency } from './support/group-latency';

const N = 20;
const ROUNDS = Number(process.env.GROUP_BENCH_ROUNDS ?? 9);
const PER_ROUND = Number(process.env.GROUP_BENCH_MESSAGES ?? 20);
const SIZES = [100, 1024, 16384, 60000];
const HEADLINE = 1024;
const LATENCY_ROUNDS = Number(process.env.GROUP_BENCH_LATENCY_ROUNDS ?? 9);

interface Link {
  send: RatchetState;
  recv: RatchetState;
}
async function links(): Promise<Link[]> {
  const out: Link[] = [];
  for (let i = 0; i < N; i++) {
    const sessionKey = randomBytes(32);
    const bob = generateRatchetKeyPair();
    const ad = randomBytes(48);
    out.push({
      send: await initInitiator({ sessionKey, remoteRatchetKey: bob.publicKey, ad }),
      recv: initResponder({ sessionKey, ratchetKeyPair: bob, ad }),
    });
  }
  return out;
}

const text = (n: number) => 'x'.repeat(n);
const stamp = (seq: number) => ({
  group: new Uint8Array(32).fill(1),
  sender: new Uint8Array(32).fill(2),
  epoch: new Uint8Array(8).fill(3),
  generation: 4,
  seq,
  lamport: seq + 10,
  sentAt: 1_800_000_000_000,
});

/** One fan-out; returns each member's wire bytes and how many of them are the ratchet message (the rest: a wrapped body). */
type Way = (ls: Link[], size: number, seq: number) => { bytes: Uint8Array; head: number }[];
const whole = (bytes: Uint8Array) => ({ bytes, head: bytes.length });
const ways: Record<'baseline' | 'copies' | 'wrapped', Way> = {
  baseline: (ls, size, seq) =>
    ls.map((l, i) => {
      const inner = encodeWire({ type: 'chat', id: `stream${i}0000-${seq}`, text: text(size), sentAt: 1 });
      const e = encrypt(l.send, inner);
      l.send = e.state;
      return whole(encodeWire({ type: 'ratchet', data: e.message }));
    }),
  copies: (ls, size, seq) => {
    const data = encodeGroup({ type: 'text', ...stamp(seq), text: text(size) });
    return ls.map((l, i) => {
      const e = encrypt(l.send, encodeWire({ type: 'group', id: `stream${i}0000-${seq}`, data }));
      l.send = e.state;
      return whole(encodeWire({ type: 'ratchet', data: e.message }));
    });
  },
  wrapped: (ls, size, seq) => {
    const key = randomBytes(32);
    const nonce = randomBytes(24);
    const body = xchacha20poly1305(key, nonce).encrypt(encodeGroup({ type: 'text', ...stamp(seq), text: text(size) }));
    const wrap = new Uint8Array(56);
    wrap.set(key);
    wrap.set(nonce, 32);
    return ls.map((l, i) => {
      const e = encrypt(l.send, encodeWire({ type: 'group', id: `stream${i}0000-${seq}`, data: wrap }));
      l.send = e.state;
      const head = encodeWire({ type: 'ratchet', data: e.message });
      const out = new Uint8Array(head.length + body.length);
      out.set(head);
      out.set(body, head.length);
      return { bytes: out, head: head.length };
    });
  },
};

/** Each member: the outer wire message, the ratchet, the inner wire message; then the body, if wrapped. */
async function receive(ls: Link[], copies: { bytes: Uint8Array; head: number }[]): Promise<void> {
  for (const [i, l] of ls.entries()) {
    const { bytes, head } = copies[i]!;
    const outer = decodeWire(bytes.subarray(0, head));
    if (!outer.ok || outer.message.type !== 'ratchet') throw new Error(`bench: member ${i}: bad outer message`);
    const r = await decrypt(l.recv, outer.message.data, 0);
    if (!r.ok) throw new Error(`bench: member ${i} could not decrypt: ${r.code}`);
    l.recv = r.newState;
    const inner = decodeWire(r.plaintext);
    if (!inner.ok) throw new Error(`bench: member ${i}: bad inner message`);
    if (head < bytes.length && inner.message.type === 'group') {
      const wrap = inner.message.data;
      xchacha20poly1305(wrap.subarray(0, 32), wrap.subarray(32)).decrypt(bytes.subarray(head));
    }
  }
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const names = Object.keys(ways) as (keyof typeof ways)[];
const results: Record<string, Record<number, { send: number[]; recv: number[] }>> = {};
for (const n of names) results[n] = Object.fromEntries(SIZES.map((s) => [s, { send: [], recv: [] }]));
const state = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await links()] as const)));
let seq = 1;
for (let round = -1; round < ROUNDS; round++) {
  for (const size of SIZES) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(k + Math.max(round, 0)) % names.length]!;
      let send = 0;
      let recv = 0;
      for (let m = 0; m < PER_ROUND; m++) {
        const t0 = cpuMs();
        const out = ways[name](state[name]!, size, ++seq);
        const t1 = cpuMs();
        await receive(state[name]!, out);
        send += t1 - t0;
        recv += cpuMs() - t1;
      }
      if (round >= 0) {
        results[name]![size]!.send.push(send / PER_ROUND);
        results[name]![size]!.recv.push(recv / PER_ROUND);
      }
    }
  }
}

console.log(`CPU ms per group message, N = ${N} members, median of ${ROUNDS} rounds of ${PER_ROUND} messages`);
console.log('size     | way      | sender (fan-out) | 20 receivers | sender ÷ 1:1 sends');
for (const size of SIZES) {
  const base = median(results.baseline![size]!.send);
  for (const n of names) {
    const r = results[n]![size]!;
    console.log(
      `${String(size).padStart(6)} B | ${n.padEnd(8)} | ${median(r.send).toFixed(3).padStart(16)} | ${median(r.recv).toFixed(3).padStart(12)} | ${(median(r.send) / base).toFixed(3)}`,
    );
  }
}
const lat = await groupLatency({ members: N, rounds: LATENCY_ROUNDS, text: text(HEADLINE) });
const [viaGroup, viaOneToOne] = [median(lat.group), median(lat.oneToOne)];
console.log(
  `\nms from send to the last of ${N} members showing it (${HEADLINE} B, real links), median of ${LATENCY_ROUNDS} rounds`,
);
console.log(
  `group message        | ${viaGroup.toFixed(1).padStart(8)} | rounds ${lat.group.map((x) => x.toFixed(0)).join(' ')}`,
);
console.log(
  `${N} 1:1 sends         | ${viaOneToOne.toFixed(1).padStart(8)} | rounds ${lat.oneToOne.map((x) => x.toFixed(0)).join(' ')}`,
);
console.log(`group ÷ 1:1          | ${(viaGroup / viaOneToOne).toFixed(3).padStart(8)}`);

const value = median(results.copies![HEADLINE]!.send);
const baseline = median(results.baseline![HEADLINE]!.send);
console.log(
  JSON.stringify({
    bench: 'group',
    value: Number(value.toFixed(3)),
    unit: `CPU ms per fan-out to ${N} members (${HEADLINE} B, one copy per member)`,
    baseline: Number(baseline.toFixed(3)),
    ratio: Number((value / baseline).toFixed(3)),
    target: 1.1,
    latency: {
      unit: `ms from send to the last of ${N} members showing it (${HEADLINE} B, real links)`,
      value: Number(viaGroup.toFixed(1)),
      baseline: Number(viaOneToOne.toFixed(1)),
      ratio: Number((viaGroup / viaOneToOne).toFixed(3)),
    },
  }),
);
process.exit(0); // node-datachannel's threads are cleaned up; nothing else is pending
