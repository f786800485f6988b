/**
 * Attack test (docs/session.md §6): someone who stands in a link — holds the SHS keys, so sees
 * and may rewrite the plaintexts of the secure frames, i.e. the wire messages — reads no file
 * bytes and cannot alter them. Real links (node-datachannel on loopback, a real relay, SHS,
 * secure frames), a real session setup (`setUpSession`), the file keys sent inside the real
 * Double Ratchet (`file-key` sealed with `encrypt`, opened with `decrypt` — the steps
 * `LinkTraffic` + `ContactSessions` take, without IndexedDB), and real TransferManagers on the
 * file-key adapters. The attacker's view is every wire message either link delivers.
 */
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { generateIdentity } from '../../src/core/identity';
import { decrypt, encrypt, type RatchetState } from '../../src/core/ratchet';
import { decodeWire, encodeWire, type WireMessage } from '../../src/core/wire';
import { openLink, type LinkOptions, type SecureLink } from '../../src/net/link';
import { setUpSession } from '../../src/net/session-kx';
import { kemKeyPairFromSeed } from '../../src/net/session-derive';
import { FileKeyLink, type FileKeyInner } from '../../src/net/file-key-link';
import type { LinkCloseEvent } from '../../src/net/secure-link';
import { testManager } from '../support/transfer-manager';
import { nodeWrtc } from '../support/wrtc';
import { linkFixture } from '../support/link-fixture';

const fx = linkFixture();
const MARKER = Buffer.from('PARLEY-FILE-PLAINTEXT-MARKER-7f3a9c');

/** The attacker's seat in a link: sees every wire message it delivers, may rewrite them. */
function seat(l: SecureLink, seen: WireMessage[], rewrite: (m: WireMessage) => WireMessage = (m) => m): FileKeyInner {
  return {
    send: (m) => l.send(m),
    onMessage: (cb) =>
      l.onMessage((m) => {
        seen.push(m);
        cb(rewrite(m));
      }),
    onClose: (cb) => l.onClose(cb),
    close: () => l.close(),
    get bufferedAmount() {
      return l.bufferedAmount;
    },
  };
}

type Kx = Parameters<typeof setUpSession>[0]['identity'];
interface Pair {
  la: SecureLink;
  lb: SecureLink;
  kxA: Kx;
  kxB: Kx;
}

/** A real link: a is the SHS server (the session's responder), b the client (initiator). */
async function pair(): Promise<Pair> {
  const side = () => {
    const seed = crypto.getRandomValues(new Uint8Array(32));
    const id = generateIdentity(() => seed.slice());
    return { id, kx: { ed25519: id, kem: kemKeyPairFromSeed(seed) } };
  };
  const a = side(),
    b = side();
  const common = {
    rendezvousSecret: crypto.getRandomValues(new Uint8Array(32)),
    iceServers: [],
    wrtc: nodeWrtc,
    timeoutMs: 15_000,
  } satisfies Partial<LinkOptions>;
  const [s, c] = await Promise.all([
    openLink({
      ...common,
      signaling: await fx.signaling(),
      identity: a.id,
      shs: { role: 'server', authorize: () => true },
    }),
    openLink({
      ...common,
      signaling: await fx.signaling(),
      identity: b.id,
      shs: { role: 'client', serverPublicKey: a.id.publicKey },
    }),
  ]);
  if (!s.ok || !c.ok) throw new Error('no link');
  fx.track(s.link, c.link);
  return { la: s.link, lb: c.link, kxA: a.kx, kxB: b.kx };
}

/** Session setup over the link, then each side's file key inside the ratchet; the observer sits in both inbound paths, `rewrite` in b's. */
async function keyed({ la, lb, kxA, kxB }: Pair, seen: WireMessage[], rewrite?: (m: WireMessage) => WireMessage) {
  const a = new FileKeyLink(seat(la, seen), 'responder');
  const b = new FileKeyLink(seat(lb, seen, rewrite), 'initiator');
  const states = new Map<SecureLink, RatchetState>();
  const [ra, rb] = await Promise.all([
    setUpSession({
      link: la,
      role: 'responder',
      identity: kxA,
      held: null,
      timeoutMs: 10_000,
      install: async (s) => {
        states.set(la, s.state);
      },
    }),
    setUpSession({
      link: lb,
      role: 'initiator',
      identity: kxB,
      held: null,
      timeoutMs: 10_000,
      install: async (s) => {
        states.set(lb, s.state);
      },
    }),
  ]);
  expect(ra.ok && rb.ok).toBe(true);
  const sendKey = async (l: SecureLink, f: FileKeyLink) => {
    const e = encrypt(states.get(l)!, encodeWire({ type: 'file-key', key: f.ownKey }));
    states.set(l, e.state);
    const sent = l.send({ type: 'ratchet', data: e.message });
    f.ownKeySent();
    await sent;
  };
  const receiveKey = (l: SecureLink, f: FileKeyLink) =>
    new Promise<void>((done) => {
      const off = l.onMessage((m) => {
        if (m.type !== 'ratchet') return;
        off();
        void decrypt(states.get(l)!, m.data, Date.now()).then((d) => {
          if (!d.ok) throw new Error(d.message);
          states.set(l, d.newState);
          const inner = decodeWire(d.plaintext);
          if (!inner.ok || inner.message.type !== 'file-key') throw new Error('expected a file-key');
          f.installPeerKey(inner.message.key);
          done();
        });
      });
    });
  // The initiator speaks first (the responder may send only after its first message).
  const atA = receiveKey(la, a);
  await sendKey(lb, b);
  await atA;
  const atB = receiveKey(lb, b);
  await sendKey(la, a);
  await atB;
  return { a, b };
}

function plantedFile(): Buffer {
  const f = randomBytes(3 * (1 << 20) + 77);
  for (const at of [0, 100_000, 1 << 20, f.length - MARKER.length]) MARKER.copy(f, at);
  return f;
}

describe('file keys inside the ratchet, over real links', () => {
  it('an observer of the secure-frame plaintexts sees no file bytes; the file still arrives intact', async () => {
    const seen: WireMessage[] = [];
    const { a, b } = await keyed(await pair(), seen);
    const alice = await testManager('bob'),
      bob = await testManager('alice');
    alice.m.attach(a);
    bob.m.attach(b);
    const f = plantedFile();
    const id = await alice.m.send([new File([new Uint8Array(f)], 'secret.bin')]);
    await bob.until((e) => e.type === 'offered');
    await bob.m.accept(id);
    await bob.until((e) => e.type === 'complete');
    expect(Buffer.from(bob.store.bytes(id, 0)!).equals(f)).toBe(true);
    const transfers = seen.filter((m): m is Extract<WireMessage, { type: 'transfer' }> => m.type === 'transfer');
    expect(transfers.length).toBeGreaterThan(12);
    for (const m of seen) expect(Buffer.from(encodeWire(m)).includes(MARKER)).toBe(false);
    // The scan finds the marker where it is in the clear (the scan itself works).
    expect(f.includes(MARKER)).toBe(true);
  });

  it('a transfer message rewritten by the observer is refused: FILE_KEY_TAMPERED, the link closes, the file is not complete', async () => {
    let n = 0;
    const rewrite = (m: WireMessage): WireMessage => {
      if (m.type !== 'transfer' || ++n !== 6) return m;
      const d = m.data.slice();
      d[d.length >> 1]! ^= 0x40;
      return { type: 'transfer', data: d };
    };
    const { a, b } = await keyed(await pair(), [], rewrite);
    const closed = new Promise<LinkCloseEvent>((r) => b.onClose(r));
    const alice = await testManager('bob'),
      bob = await testManager('alice');
    alice.m.attach(a);
    bob.m.attach(b);
    const id = await alice.m.send([new File([new Uint8Array(plantedFile())], 'secret.bin')]);
    await bob.until((e) => e.type === 'offered');
    await bob.m.accept(id);
    const e = await closed;
    expect(e.failure?.code).toBe('FILE_KEY_TAMPERED');
    expect(b.failure?.code).toBe('FILE_KEY_TAMPERED');
    expect(bob.events.some((x) => x.type === 'complete')).toBe(false);
    expect(n).toBeGreaterThanOrEqual(6);
  });
});
