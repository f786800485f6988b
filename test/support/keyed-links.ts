/**
 * Real keyed links for attack tests (docs/session.md §6, docs/files.md §10): node-datachannel on
 * loopback, a real relay, SHS, secure frames, a real session setup, and each side's file key sent
 * inside the real Double Ratchet; the attacker sits in both inbound paths (`seat`), sees every
 * wire message and every sealed chunk, and may rewrite, drop or add them.
 */
import { expect } from 'vitest';
import { generateIdentity } from '../../src/core/identity';
import { decrypt, encrypt, type RatchetState } from '../../src/core/ratchet';
import { decodeWire, encodeWire, type WireMessage } from '../../src/core/wire';
import { openLink, type LinkOptions, type SecureLink } from '../../src/net/link';
import { setUpSession } from '../../src/net/session-kx';
import { kemKeyPairFromSeed } from '../../src/net/session-derive';
import { FileKeyLink, type FileKeyInner } from '../../src/net/file-key-link';
import { nodeWrtc } from './wrtc';
import { linkFixture } from './link-fixture';

export const fx = linkFixture();

/** What the attacker sees and does: every wire message and sealed chunk delivered, each rewritten into zero or more. */
export interface Attacker {
  seen: WireMessage[];
  seenChunks: Uint8Array[];
  rewrite?: (m: WireMessage) => WireMessage;
  /** Returns what to deliver instead of the sealed chunk `m` (default: `[m]`). */
  rewriteChunk?: (m: Uint8Array) => Uint8Array[];
}

/** The attacker's seat in a link: sees every wire message and sealed chunk it delivers, may rewrite them. */
export function seat(l: SecureLink, at: Attacker): FileKeyInner {
  return {
    send: (m) => l.send(m),
    onMessage: (cb) =>
      l.onMessage((m) => {
        at.seen.push(m);
        cb(at.rewrite ? at.rewrite(m) : m);
      }),
    sendSealedChunk: (m) => l.sendSealedChunk!(m),
    onSealedChunk: (cb) =>
      l.onSealedChunk!((m) => {
        at.seenChunks.push(m);
        for (const x of at.rewriteChunk ? at.rewriteChunk(m) : [m]) cb(x);
      }),
    onClose: (cb) => l.onClose(cb),
    close: () => l.close(),
    get bufferedAmount() {
      return l.bufferedAmount;
    },
  };
}

type Kx = Parameters<typeof setUpSession>[0]['identity'];
export interface Pair {
  la: SecureLink;
  lb: SecureLink;
  kxA: Kx;
  kxB: Kx;
}

/** A real link: a is the SHS server (the session's responder), b the client (initiator). */
export async function pair(): Promise<Pair> {
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
export async function keyed({ la, lb, kxA, kxB }: Pair, attA: Attacker, attB: Attacker = attA) {
  const a = new FileKeyLink(seat(la, attA), 'responder');
  const b = new FileKeyLink(seat(lb, attB), 'initiator');
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
