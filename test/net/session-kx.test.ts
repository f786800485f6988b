/**
 * Session setup (docs/session.md §2, §4) between two node peers over real links (node-datachannel
 * on loopback, the real relay on 127.0.0.1): reuse when both hold the same session, a kx when
 * they differ, a side that lost its session meeting the other in the reset room, chat over the
 * new ratchet; and the attacks: a cold caller at the reset room, a kx signed by the wrong key, a
 * kx message with no kx due.
 */
import { describe, expect, it } from 'vitest';
import { generateIdentity, type Identity } from '../../src/core/identity';
import { decrypt, encrypt, type RatchetState } from '../../src/core/ratchet';
import { openLink, type LinkOptions, type SecureLink } from '../../src/net/link';
import type { SignalingClient } from '../../src/net/signaling';
import { setUpSession, type NewSession, type SessionSetupResult } from '../../src/net/session-kx';
import { kemKeyPairFromSeed, resetDaySecret, sessionDaySecret } from '../../src/net/session-derive';
import { dayOf } from '../../src/core/rendezvous';
import type { KxIdentity, KxRole } from '../../src/core/kx';
import type { WireMessage } from '../../src/core/wire';
import { nodeWrtc } from '../support/wrtc';
import { linkFixture } from '../support/link-fixture';

const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));
const fx = linkFixture();

/** One side: identity, KEM key from its seed, and an in-memory "store" of its session. */
interface Side {
  id: Identity;
  kx: KxIdentity;
  session: NewSession | null;
  sig: SignalingClient;
}

async function twoSides(): Promise<[Side, Side]> {
  const side = async (): Promise<Side> => {
    const seed = random(32);
    const id = generateIdentity(() => seed.slice());
    return { id, kx: { ed25519: id, kem: kemKeyPairFromSeed(seed) }, session: null, sig: await fx.signaling() };
  };
  return [await side(), await side()];
}

/** A link in the room of `secret`: `server` listens authorizing only `client`'s key. */
async function link(
  server: Side,
  client: Side,
  secret: Uint8Array,
  clientIdentity: Identity = client.id,
): Promise<[SecureLink, SecureLink]> {
  const common = {
    rendezvousSecret: secret,
    iceServers: [],
    wrtc: nodeWrtc,
    timeoutMs: 15_000,
  } satisfies Partial<LinkOptions>;
  const [s, c] = await Promise.all([
    openLink({
      ...common,
      signaling: server.sig,
      identity: server.id,
      shs: { role: 'server', authorize: (k) => Buffer.from(k).equals(Buffer.from(client.id.publicKey)) },
    }),
    openLink({
      ...common,
      signaling: client.sig,
      identity: clientIdentity,
      shs: { role: 'client', serverPublicKey: server.id.publicKey },
    }),
  ]);
  if (!s.ok || !c.ok) throw new Error(`no link: ${s.ok ? '' : s.code} ${c.ok ? '' : c.code}`);
  fx.track(s.link, c.link);
  return [s.link, c.link];
}

/** Counts the kx messages a link carries to this side. */
function countKx(l: SecureLink): { n: number } {
  const c = { n: 0 };
  l.onMessage((m) => {
    if (m.type === 'kx') c.n++;
  });
  return c;
}

function setup(
  side: Side,
  l: SecureLink,
  role: KxRole,
  extra: { force?: boolean; kx?: KxIdentity } = {},
): Promise<SessionSetupResult> {
  return setUpSession({
    link: l,
    role,
    identity: extra.kx ?? side.kx,
    held: side.session?.id ?? null,
    force: extra.force,
    timeoutMs: 10_000,
    install: async (s) => {
      side.session = s;
    },
  });
}

/** Sends one ratchet message each way over the link and checks it decrypts (chat continues). */
async function chat(a: Side, la: SecureLink, b: Side, lb: SecureLink): Promise<void> {
  type End = readonly [Side, SecureLink];
  const [init, resp]: [End, End] =
    a.session!.role === 'initiator'
      ? [
          [a, la],
          [b, lb],
        ]
      : [
          [b, lb],
          [a, la],
        ];
  const roundTrip = async (from: End, to: End, text: string) => {
    const got = new Promise<WireMessage>((r) => {
      const off = to[1].onMessage((m) => {
        if (m.type === 'ratchet') {
          off();
          r(m);
        }
      });
    });
    const e = encrypt(from[0].session!.state, new TextEncoder().encode(text));
    from[0].session = { ...from[0].session!, state: e.state };
    await from[1].send({ type: 'ratchet', data: e.message });
    const m = await got;
    const d = await decrypt(to[0].session!.state, (m as { data: Uint8Array }).data, Date.now());
    if (!d.ok) throw new Error(d.message);
    to[0].session = { ...to[0].session!, state: d.newState as RatchetState };
    expect(new TextDecoder().decode(d.plaintext)).toBe(text);
  };
  await roundTrip(init, resp, 'hello from the initiator');
  await roundTrip(resp, init, 'and back from the responder');
}

describe('session setup over real links', () => {
  it('no session on either side → kx; the same session on both → reused without a kx; different → a new kx', async () => {
    const [a, b] = await twoSides();
    const room = random(32);
    let [la, lb] = await link(a, b, room);
    const [ra, rb] = await Promise.all([setup(a, la, 'responder'), setup(b, lb, 'initiator')]);
    expect(ra).toMatchObject({ ok: true, fresh: true });
    expect(rb).toMatchObject({ ok: true, fresh: true });
    expect(a.session!.id).toBe(b.session!.id);
    expect(Buffer.from(a.session!.roomKey).equals(Buffer.from(b.session!.roomKey))).toBe(true);
    await chat(a, la, b, lb);
    await la.close();

    // Both hold it: reused, no kx message crosses the link.
    [la, lb] = await link(a, b, room);
    const kxSeen = [countKx(la), countKx(lb)];
    const first = a.session!.id;
    const again = await Promise.all([setup(a, la, 'responder'), setup(b, lb, 'initiator')]);
    expect(again).toEqual([
      { ok: true, sessionId: first, fresh: false },
      { ok: true, sessionId: first, fresh: false },
    ]);
    expect(kxSeen.map((c) => c.n)).toEqual([0, 0]);
    await chat(a, la, b, lb);
    await la.close();

    // A forced reset on one side: the offers differ, so both run a new kx.
    [la, lb] = await link(a, b, room);
    const forced = await Promise.all([setup(a, la, 'responder'), setup(b, lb, 'initiator', { force: true })]);
    expect(forced[0]).toMatchObject({ ok: true, fresh: true });
    expect(a.session!.id).not.toBe(first);
    expect(b.session!.id).toBe(a.session!.id);
    await chat(a, la, b, lb);
  }, 60_000);

  it("a side that lost its session dials the other's reset room; the kx there gives a new session and chat continues", async () => {
    const [a, b] = await twoSides();
    const contactSecret = random(32);
    const day = dayOf(Date.now());
    let [la, lb] = await link(a, b, random(32));
    await Promise.all([setup(a, la, 'responder'), setup(b, lb, 'initiator')]);
    const old = a.session!.id;
    await la.close();
    // The session room of today is what both would meet in; B loses its state (a fresh browser).
    expect(sessionDaySecret(a.session!.roomKey, day)).toEqual(sessionDaySecret(b.session!.roomKey, day));
    b.session = null;
    // A listens in its own reset room (server, only B's key); B dials it (client = kx initiator).
    [la, lb] = await link(a, b, resetDaySecret(contactSecret, a.id.publicKey, day));
    const r = await Promise.all([setup(a, la, 'responder'), setup(b, lb, 'initiator')]);
    expect(r.map((x) => x.ok && x.fresh)).toEqual([true, true]);
    expect(a.session!.id).not.toBe(old);
    expect(a.session!.id).toBe(b.session!.id);
    await chat(a, la, b, lb);
    // Reset rooms are per direction and per day.
    expect(resetDaySecret(contactSecret, a.id.publicKey, day)).not.toEqual(
      resetDaySecret(contactSecret, b.id.publicKey, day),
    );
    expect(resetDaySecret(contactSecret, a.id.publicKey, day)).not.toEqual(
      resetDaySecret(contactSecret, a.id.publicKey, day + 1),
    );
  }, 60_000);
});

describe('session setup: attacks', () => {
  it('a cold caller (not the contact) at the reset room never gets a link, so no kx message of its reaches the owner', async () => {
    const [a, b] = await twoSides();
    const [, m] = await twoSides();
    const room = resetDaySecret(random(32), a.id.publicKey, dayOf(Date.now()));
    const common = {
      rendezvousSecret: room,
      iceServers: [],
      wrtc: nodeWrtc,
      timeoutMs: 8_000,
    } satisfies Partial<LinkOptions>;
    const [s, c] = await Promise.all([
      openLink({
        ...common,
        signaling: a.sig,
        identity: a.id,
        shs: { role: 'server', authorize: (k) => Buffer.from(k).equals(Buffer.from(b.id.publicKey)) },
      }),
      openLink({
        ...common,
        signaling: m.sig,
        identity: m.id,
        shs: { role: 'client', serverPublicKey: a.id.publicKey },
      }),
    ]);
    expect(s.ok).toBe(false);
    expect(c.ok).toBe(false);
    expect(a.session).toBeNull();
  }, 30_000);

  it("a kx whose reveal is signed by another key than the link's is refused: SESSION_KX_FAILED, link closed, nothing installed", async () => {
    const [a, b] = await twoSides();
    const [, m] = await twoSides();
    const [la, lb] = await link(a, b, random(32));
    const closed = new Promise((r) => la.onClose(r));
    // B's link, but its kx runs with M's identity (signs with M's Ed25519 key).
    const [ra] = await Promise.all([
      setup(a, la, 'responder'),
      setup(b, lb, 'initiator', { kx: { ed25519: m.id, kem: b.kx.kem } }),
    ]);
    expect(ra).toMatchObject({ ok: false, code: 'SESSION_KX_FAILED' });
    expect(!ra.ok && ra.message).toMatch(/KX_BAD_SIGNATURE/);
    await closed;
    expect(a.session).toBeNull();
  }, 30_000);

  it('a kx message when both hold the same session (no kx due) is refused: SESSION_PROTOCOL, the session is kept', async () => {
    const [a, b] = await twoSides();
    let [la, lb] = await link(a, b, random(32));
    await Promise.all([setup(a, la, 'responder'), setup(b, lb, 'initiator')]);
    const kept = a.session!.id;
    await la.close();
    [la, lb] = await link(a, b, random(32));
    // B sends a kx COMMIT-shaped message before its offer: A has no kx running.
    await lb.send({ type: 'kx', data: Uint8Array.of(1, ...random(32)) });
    const ra = await setup(a, la, 'responder');
    expect(ra).toMatchObject({ ok: false, code: 'SESSION_PROTOCOL' });
    expect(a.session!.id).toBe(kept);
  }, 30_000);
});
