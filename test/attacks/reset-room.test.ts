/**
 * Attacks on the reset room (docs/key-change.md §3), with the app's own derivations and
 * `ResetDesk`, real relay, real WebRTC links (node-datachannel):
 * - a caller without the pairing's contact secret cannot reach my reset room;
 * - a caller who has the secret but presents another key becomes a pending key change and is
 *   sent nothing at all — not a hello, not a session offer — before the person accepts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { generateIdentity } from '../../src/core/identity';
import { openLink } from '../../src/net/link';
import { resetDaySecret } from '../../src/net/session-derive';
import { rendezvousDays } from '../../src/core/rendezvous';
import { ResetDesk } from '../../src/app/reset-desk';
import { noteKeyChange, sendBlock } from '../../src/app/key-change';
import { bytesToHex as toHex } from '@noble/hashes/utils.js';
import type { ContactRecord } from '../../src/store/db';
import type { WireMessage } from '../../src/core/wire';
import { nodeWrtc, warmUpWebRtc } from '../support/wrtc';
import { relayFixture } from '../support/relay';

const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));
const keyPair = () => generateIdentity(random);

beforeAll(warmUpWebRtc);
const fx = relayFixture();
const signaling = () => fx.signaling();

/** Alice, her contact Bob (as she stores him), and the contact secret of their pairing. */
function setting() {
  const alice = keyPair(),
    bob = keyPair();
  const contactSecret = random(32);
  let bobRecord: ContactRecord = {
    key: toHex(bob.publicKey),
    publicKey: bob.publicKey,
    name: 'Bob',
    contactSecret,
    addedAt: 1,
    lastSeen: 1,
    verified: true,
  };
  // The contacts layer as ContactsState does it, on one in-memory record (the store is not under test).
  const contacts = {
    noteKeyChange: async (_key: string, k: Uint8Array, now?: number) => {
      bobRecord = noteKeyChange(bobRecord, k, now ?? 0);
      return !!bobRecord.keyChange;
    },
    noteReset: async () => {},
  };
  return { alice, bob, contactSecret, contacts, record: () => bobRecord };
}

/** Alice listening in her own reset room for Bob, as the contact loop does: any key may complete SHS. */
function aliceListens(alice: ReturnType<typeof keyPair>, contactSecret: Uint8Array, day: number, timeoutMs: number) {
  return openLink({
    signaling: signaling(),
    rendezvousSecret: resetDaySecret(contactSecret, alice.publicKey, day),
    identity: alice,
    shs: { role: 'server', authorize: () => true },
    iceServers: [],
    wrtc: nodeWrtc,
    timeoutMs,
  });
}

function dial(who: ReturnType<typeof keyPair>, secret: Uint8Array, server: Uint8Array, timeoutMs: number) {
  return openLink({
    signaling: signaling(),
    rendezvousSecret: secret,
    identity: who,
    shs: { role: 'client', serverPublicKey: server },
    iceServers: [],
    wrtc: nodeWrtc,
    timeoutMs,
  });
}

describe('reset room', () => {
  it('a caller without the contact secret never meets me there', async () => {
    await fx.start();
    const { alice, contactSecret } = setting();
    const mallory = keyPair();
    const day = rendezvousDays(Date.now())[0]!;
    // She knows Alice's key and the day; she guesses the secret (and tries Alice's key as the secret).
    const [listen, guess, keyAsSecret] = await Promise.all([
      aliceListens(alice, contactSecret, day, 6_000),
      dial(mallory, resetDaySecret(random(32), alice.publicKey, day), alice.publicKey, 6_000),
      dial(mallory, resetDaySecret(alice.publicKey, alice.publicKey, day), alice.publicKey, 6_000),
    ]);
    for (const r of [listen, guess, keyAsSecret]) if (r.ok) fx.keep(r.link);
    expect([listen.ok, guess.ok, keyAsSecret.ok]).toEqual([false, false, false]);
    expect(!listen.ok && listen.code).toBe('LINK_TIMEOUT');
  });

  it('a caller with the secret and another key is a pending key change and is sent nothing until the person decides', async () => {
    await fx.start();
    const { alice, bob, contactSecret, contacts, record } = setting();
    const thief = keyPair(); // holds the stolen contact secret, not Bob's identity key
    const day = rendezvousDays(Date.now())[0]!;
    const [a, m] = await Promise.all([
      aliceListens(alice, contactSecret, day, 20_000),
      dial(thief, resetDaySecret(contactSecret, alice.publicKey, day), alice.publicKey, 20_000),
    ]);
    if (!a.ok || !m.ok) throw new Error(`expected both ends linked: ${a.ok ? '' : a.code} ${m.ok ? '' : m.code}`);
    fx.keep(a.link);
    fx.keep(m.link);
    const thiefGot: WireMessage[] = [];
    m.link.onMessage((msg) => thiefGot.push(msg));
    const thiefClosed = new Promise<void>((resolve) => m.link.onClose(() => resolve()));

    expect(a.link.remotePublicKey).toEqual(thief.publicKey);
    const desk = new ResetDesk(contacts);
    await desk.park(record().key, a.link);
    expect(record().keyChange?.newKey).toEqual(thief.publicKey);
    expect(record().publicKey).toEqual(bob.publicKey); // the known key stays until the person accepts
    expect(sendBlock(record())?.code).toBe('CONTACT_KEY_CHANGED');
    expect(desk.holding(record().key)).toBe(true);

    // The link works: what the thief says reaches Alice (and is kept for a session setup)…
    const heard = new Promise<void>((resolve) =>
      a.link.onMessage((msg) => {
        if (msg.type === 'hello') resolve();
      }),
    );
    await m.link.send({ type: 'hello', name: 'Bob' });
    await heard;
    // …but Alice says nothing. The person keeps the old key: the link ends, and over its whole life
    // the thief received not one message.
    desk.drop(record().key);
    await thiefClosed;
    expect(thiefGot).toEqual([]);
    expect(desk.holding(record().key)).toBe(false);
  });

  it('accepting hands the held link over with what the caller already sent', async () => {
    await fx.start();
    const { alice, contactSecret, contacts, record } = setting();
    const newBob = keyPair();
    const day = rendezvousDays(Date.now())[0]!;
    const [a, m] = await Promise.all([
      aliceListens(alice, contactSecret, day, 20_000),
      dial(newBob, resetDaySecret(contactSecret, alice.publicKey, day), alice.publicKey, 20_000),
    ]);
    if (!a.ok || !m.ok) throw new Error('expected both ends linked');
    fx.keep(a.link);
    fx.keep(m.link);
    const desk = new ResetDesk(contacts);
    await desk.park(record().key, a.link);
    const heard = new Promise<void>((resolve) =>
      a.link.onMessage((msg) => {
        if (msg.type === 'hello') resolve();
      }),
    );
    await m.link.send({ type: 'hello', name: 'Bob' });
    await heard;
    const held = desk.take(record().key, newBob.publicKey);
    expect(held?.link).toBe(a.link);
    expect(held?.link.closed).toBe(false);
    expect(held?.early.map((x) => x.type)).toEqual(['hello']);
    expect(desk.holding(record().key)).toBe(false);
  });
});
