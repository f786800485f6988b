/**
 * Attack tests: downgrade (docs/security.md "Downgrade"). Two current peers must never settle on
 * less than both announced: the link fails, or both keep the full feature set.
 *
 * 1. An attacker on the data channel, below the frames: the hostile relay's man in the middle
 *    bridges the two data channels and drops, replaces, replays or reorders the announcement
 *    frame (the first data frame each way: it knows the position, not the content). To let it
 *    get that far, the victims' DTLS fingerprint binding is switched off (each victim's
 *    `fingerprints()` reports one fixed pair, as if the attacker had defeated DTLS): that
 *    isolates what the frames do. The real `LinkHandshake` and `FramedLink` run on each side.
 * 2. An attacker who could change what a victim sees as the peer's announcement (one that holds
 *    the frame keys): the `features-check` inside the ratchet (real `LinkTraffic`,
 *    `ContactSessions` on an in-memory IndexedDB, real links) makes both sides close the link.
 */
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { bytesToHex } from '@noble/hashes/utils.js';
import { generateIdentity, type Identity } from '../../src/core/identity';
import { announcement, CURRENT, type Announcement } from '../../src/core/features';
import type { KxRole } from '../../src/core/kx';
import { LinkHandshake, type HandshakeHost, type LinkPhase } from '../../src/net/link-handshake';
import type { DataPeer } from '../../src/net/peer';
import type { LinkCloseEvent, LinkFeatures, SecureLink } from '../../src/net/secure-link';
import { SignalingClient, type WebSocketConstructor } from '../../src/net/signaling';
import { openLink } from '../../src/net/link';
import { kemKeyPairFromSeed } from '../../src/net/session-derive';
import { ParleyStore } from '../../src/store/db';
import { ContactSessions } from '../../src/store/contact-sessions';
import { LinkTraffic } from '../../src/app/session-traffic';
import { startHostileRelay, type HostileRelay, type HostileRelayOptions } from '../support/hostile-relay';
import { startTestRelay } from '../support/relay';
import { nodeWrtc } from '../support/wrtc';
import { rawMeeting } from './raw-meeting';
import { random } from './meeting';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function signaling(url: string): SignalingClient {
  const c = new SignalingClient(url, { WebSocket: WebSocket as unknown as WebSocketConstructor, minBackoffMs: 50 });
  cleanup.push(() => c.close());
  return c;
}

/** Runs the real handshake, confirmation and FramedLink on `peer` (fingerprint binding off). */
function secureLink(
  peer: DataPeer,
  o: {
    identity: Identity;
    shs: { role: 'client'; serverPublicKey: Uint8Array } | { role: 'server'; authorize: () => boolean };
  },
): Promise<SecureLink | string> {
  const fixed = { ok: true as const, local: new Uint8Array(32).fill(1), remote: new Uint8Array(32).fill(2) };
  peer.fingerprints = () => fixed; // the same network key on both sides, whatever the DTLS ends are
  return new Promise((resolve) => {
    let phase: LinkPhase = 'webrtc';
    const finish: (() => void)[] = [];
    const host: HandshakeHost = {
      settled: false,
      get phase() {
        return phase;
      },
      enter: (p) => (phase = p),
      failHandshake: (why, code) => {
        (host as { settled: boolean }).settled = true;
        for (const f of finish) f();
        resolve(`${code ?? 'handshake'}: ${why}`);
      },
      succeed: (link) => {
        (host as { settled: boolean }).settled = true;
        for (const f of finish) f();
        cleanup.push(() => (link.closed ? undefined : link.close()));
        resolve(link);
      },
      onFinish: (f) => finish.push(f),
    };
    void LinkHandshake.begin(peer, host, { ...o, features: CURRENT }, Date.now() + 15_000);
  });
}

/**
 * The two victims' data channels through the relay's bridge. node-datachannel now and then
 * refuses a remote description ("remote candidate without ICE transport", docs/attack-harnesses.md):
 * such an attempt never reaches the handshake, and is made again under a fresh room, at most 3 times.
 */
async function dataChannels(relay: HostileRelay, first: Uint8Array): Promise<[DataPeer, DataPeer]> {
  let secret = first;
  for (let attempt = 1; ; attempt++) {
    const made: DataPeer[] = [];
    const meet = (s: SignalingClient) =>
      rawMeeting({ signaling: s, secret, wrtc: nodeWrtc }).then((p) => (made.push(p), p));
    try {
      const pair = await Promise.all([meet(signaling(relay.signalUrl)), meet(signaling(relay.signalUrl))]);
      cleanup.push(
        () => pair[0].destroy(),
        () => pair[1].destroy(),
      );
      return pair;
    } catch (e) {
      for (const p of made) p.destroy();
      if (attempt === 3 || !/ICE transport/.test(String(e))) throw e;
      secret = random(32);
      await relay.target(secret);
    }
  }
}

/** Two current peers meet through a hostile relay whose bridge runs `tamper`; each then says hello. */
async function meetThrough(tamper: HostileRelayOptions['tamper']) {
  const relay: HostileRelay = await startHostileRelay({ mode: 'mitm', tamper });
  cleanup.push(() => relay.close());
  const secret = random(32);
  await relay.target(secret);
  const [alice, bob] = [generateIdentity(random), generateIdentity(random)];
  const [pa, pb] = await dataChannels(relay, secret);
  const [la, lb] = await Promise.all([
    secureLink(pa, { identity: alice, shs: { role: 'server', authorize: () => true } }),
    secureLink(pb, { identity: bob, shs: { role: 'client', serverPublicKey: alice.publicKey } }),
  ]);
  if (typeof la === 'string' || typeof lb === 'string') throw new Error(`no links: ${String(la)} / ${String(lb)}`);
  const ends = [la, lb].map((l) => {
    const closed = new Promise<LinkCloseEvent>((r) => l.onClose(r));
    void l.send({ type: 'hello', name: 'after the announcement' }).catch(() => {});
    return { features: l.features, closed, link: l };
  });
  return { relay, ends };
}

/** The announcement is each direction's 4th data-channel message: msg1/2, msg3/4, key confirmation, then it. */
const ANNOUNCEMENT = 3;

describe('downgrade below the frames: the announcement frame on the data channel', () => {
  it('control: the bridge carries everything unchanged — both links keep the full feature set', async () => {
    const { ends } = await meetThrough((m) => [m]);
    for (const e of ends) expect(await e.features).toMatchObject({ own: CURRENT, peer: CURRENT });
  }, 60_000);

  it('replaced by the announcement frame of an earlier link: the link fails, and never settles on less', async () => {
    let recorded: Uint8Array | null = null;
    const first = await meetThrough((m, dir, i) => {
      if (dir === 'to-offerer' && i === ANNOUNCEMENT) recorded = m.slice();
      return [m];
    });
    for (const e of first.ends) expect(await e.features).toMatchObject({ peer: CURRENT });
    expect(recorded).not.toBeNull();
    const { ends } = await meetThrough((m, dir, i) => (dir === 'to-offerer' && i === ANNOUNCEMENT ? [recorded!] : [m]));
    await expectFailedNeverLess(ends, ['FRAME_TAMPERED']);
  }, 60_000);

  const attacks: [string, HostileRelayOptions['tamper'], string[]][] = [
    ['dropped', (m, dir, i) => (dir === 'to-offerer' && i === ANNOUNCEMENT ? [] : [m]), ['FRAME_OUT_OF_ORDER']],
    [
      'replaced by random bytes of its length',
      (m, dir, i) => (dir === 'to-offerer' && i === ANNOUNCEMENT ? [random(m.length)] : [m]),
      ['FRAME_TAMPERED', 'FRAME_MALFORMED'],
    ],
    ['replayed', (m, dir, i) => (dir === 'to-offerer' && i === ANNOUNCEMENT ? [m, m] : [m]), ['FRAME_REPLAYED']],
    ['moved behind the next frame', reorder(), ['FRAME_OUT_OF_ORDER']],
  ];
  for (const [name, tamper, codes] of attacks) {
    it(`${name}: the link fails, and never settles on less than both announced`, async () => {
      const { ends } = await meetThrough(tamper);
      await expectFailedNeverLess(ends, codes);
    }, 60_000);
  }
});

/** Each end settled on the full set or on nothing; at least one link failed with one of `codes`. */
async function expectFailedNeverLess(
  ends: { features: Promise<LinkFeatures | null>; closed: Promise<LinkCloseEvent> }[],
  codes: string[],
): Promise<void> {
  for (const e of ends) {
    // Either it never settled (null: the link closed first) or it settled on the full set.
    const f = await e.features;
    if (f !== null) expect(f).toMatchObject({ own: CURRENT, peer: CURRENT });
  }
  const first = await Promise.race([
    Promise.any(ends.map((e) => e.closed)),
    new Promise<null>((r) => setTimeout(() => r(null), 15_000)),
  ]);
  expect(first, 'the link must fail').not.toBeNull();
  const closed = await Promise.all(ends.map((e) => Promise.race([e.closed, Promise.resolve(null)])));
  const seen = closed.map((e) => e?.failure?.code);
  expect(
    seen.some((c) => c !== undefined && codes.includes(c)),
    `close codes ${seen.join(', ')}`,
  ).toBe(true);
}

/** Holds the offerer-bound announcement and sends it after the next message. */
function reorder(): HostileRelayOptions['tamper'] {
  let held: Uint8Array | null = null;
  return (m, dir, i) => {
    if (dir !== 'to-offerer') return [m];
    if (i === ANNOUNCEMENT) {
      held = m;
      return [];
    }
    if (held && i === ANNOUNCEMENT + 1) return [m, held];
    return [m];
  };
}

describe('downgrade above the frames: the features-check inside the ratchet', () => {
  /** One side with a real store; `sees` rewrites what it believes the peer announced. */
  async function side(name: string) {
    const seed = random(32);
    const id = generateIdentity(() => seed.slice());
    const store = await ParleyStore.open(`downgrade-${name}-${bytesToHex(random(6))}`);
    return {
      id,
      key: bytesToHex(id.publicKey),
      kx: { ed25519: id, kem: kemKeyPairFromSeed(seed) },
      sessions: new ContactSessions(store.database),
      interfered: [] as string[],
    };
  }
  type Side = Awaited<ReturnType<typeof side>>;

  /** `link` as `me` would see it if the peer's announcement had been changed to `peerSeen` on the way. */
  function seenAs(link: SecureLink, peerSeen: Announcement | null | undefined): SecureLink {
    if (peerSeen === undefined) return link;
    const features = link.features.then((f): LinkFeatures | null => f && { own: f.own, peer: peerSeen });
    return new Proxy(link, {
      get: (t, p) => {
        if (p === 'features') return features;
        const v: unknown = Reflect.get(t, p, t);
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
      },
    }) as SecureLink;
  }

  async function run(aSees: Announcement | null | undefined, bSees: Announcement | null | undefined) {
    const relay = await startTestRelay();
    cleanup.push(() => relay.close());
    const [a, b] = [await side('a'), await side('b')];
    const secret = random(32);
    const common = { rendezvousSecret: secret, iceServers: [], wrtc: nodeWrtc, timeoutMs: 15_000 };
    const [ra, rb] = await Promise.all([
      openLink({
        ...common,
        signaling: signaling(relay.url),
        identity: a.id,
        shs: { role: 'server', authorize: () => true },
      }),
      openLink({
        ...common,
        signaling: signaling(relay.url),
        identity: b.id,
        shs: { role: 'client', serverPublicKey: a.id.publicKey },
      }),
    ]);
    if (!ra.ok || !rb.ok) throw new Error('no link');
    const la = ra.link,
      lb = rb.link;
    cleanup.push(
      () => (la.closed ? undefined : la.close()),
      () => (lb.closed ? undefined : lb.close()),
    );
    await a.sessions.write(b.key, 'from a', 1);
    await b.sessions.write(a.key, 'from b', 2);
    const start = (me: Side, them: Side, l: SecureLink, role: KxRole) =>
      new LinkTraffic(
        l,
        them.key,
        me.sessions,
        { role, identity: me.kx, held: null, force: false },
        {
          messagesChanged: () => {},
          storageFailed: () => {},
          refused: () => {},
          interfered: (f) => me.interfered.push(f.code),
        },
      );
    const closed = Promise.all([la, lb].map((l) => new Promise<void>((r) => l.onClose(() => r()))));
    start(a, b, seenAs(la, aSees), 'responder');
    start(b, a, seenAs(lb, bSees), 'initiator');
    const outcome = await Promise.race([
      closed.then(() => 'closed' as const),
      (async () => {
        for (let i = 0; i < 200; i++) {
          const pending = [...(await a.sessions.pendingIds(b.key)), ...(await b.sessions.pendingIds(a.key))];
          if (pending.length === 0) return 'delivered' as const;
          await new Promise((r) => setTimeout(r, 50));
        }
        return 'stuck' as const;
      })(),
    ]);
    return { outcome, a, b };
  }

  it('control: what each saw is what the other sent — chat is delivered, nothing is flagged', async () => {
    const { outcome, a, b } = await run(undefined, undefined);
    expect(outcome).toBe('delivered');
    expect([...a.interfered, ...b.interfered]).toEqual([]);
  }, 60_000);

  const fewer = announcement(2, ['unsupported-ack']);
  for (const [name, aSees, bSees] of [
    ["Bob's announcement reaches Alice with file-key removed", fewer, undefined],
    ["Bob's announcement is removed on the way to Alice (she would take him for version 1)", null, undefined],
    ['both announcements are altered, each to fewer features', fewer, fewer],
  ] as const) {
    it(`${name}: both sides close the link as interference (FEATURES_MISMATCH)`, async () => {
      const { outcome, a, b } = await run(aSees, bSees);
      expect(outcome).toBe('closed');
      expect([...a.interfered, ...b.interfered]).toContain('FEATURES_MISMATCH');
    }, 60_000);
  }
});
