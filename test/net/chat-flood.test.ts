/**
 * Chat flood (issue 11 item 4; docs/outbox.md §5): a contact sending chat as fast as the link
 * allows cannot make this browser store, queue or show chat without bound, and an honest sender
 * that outruns the budget loses nothing. Real parts: node links over the real relay on
 * 127.0.0.1 (node-datachannel, SHS, secure frames), the real session setup and ratchet, the real
 * receiving `LinkTraffic` and `ContactSessions` over IndexedDB (fake-indexeddb: the IndexedDB
 * API in memory, so the store code is the app's own). The flooding peer seals ratchet messages
 * itself, without any pacing, the way a modified client would.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '@noble/hashes/utils.js';
import { generateIdentity, type Identity } from '../../src/core/identity';
import { encrypt, type RatchetState } from '../../src/core/ratchet';
import { encodeWire } from '../../src/core/wire';
import { announcementDigest } from '../../src/core/features';
import type { KxIdentity } from '../../src/core/kx';
import { openLink, type SecureLink } from '../../src/net/link';
import type { SignalingClient } from '../../src/net/signaling';
import { setUpSession } from '../../src/net/session-kx';
import { kemKeyPairFromSeed } from '../../src/net/session-derive';
import { ParleyStore } from '../../src/store/db';
import { ContactSessions } from '../../src/store/contact-sessions';
import { LinkTraffic, type TrafficHooks } from '../../src/app/session-traffic';
import { CHAT_RECEIVE_BYTES, CHAT_RECEIVE_MESSAGES, ChatBudgets, MAX_QUEUED_RATCHET } from '../../src/app/chat-budget';
import { nodeWrtc } from '../support/wrtc';
import { linkFixture } from '../support/link-fixture';

const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));
const fx = linkFixture();

interface Side {
  id: Identity;
  kx: KxIdentity;
  key: string;
  sig: SignalingClient;
  store: ParleyStore;
  sessions: ContactSessions;
}

async function side(name: string): Promise<Side> {
  const seed = random(32);
  const id = generateIdentity(() => seed.slice());
  const store = await ParleyStore.open(`${name}-${bytesToHex(random(8))}`);
  return {
    id,
    kx: { ed25519: id, kem: kemKeyPairFromSeed(seed) },
    key: bytesToHex(id.publicKey),
    sig: await fx.signaling(),
    store,
    sessions: new ContactSessions(store.database),
  };
}

/** A link between `server` (listening, authorizing only `client`) and `client`: [server's end, client's end]. */
async function link(server: Side, client: Side): Promise<[SecureLink, SecureLink]> {
  const common = { rendezvousSecret: random(32), iceServers: [], wrtc: nodeWrtc, timeoutMs: 15_000 };
  const [s, c] = await Promise.all([
    openLink({
      ...common,
      signaling: server.sig,
      identity: server.id,
      shs: { role: 'server', authorize: (k) => bytesToHex(k) === client.key },
    }),
    openLink({
      ...common,
      signaling: client.sig,
      identity: client.id,
      shs: { role: 'client', serverPublicKey: server.id.publicKey },
    }),
  ]);
  if (!s.ok || !c.ok) throw new Error(`no link: ${s.ok ? '' : s.code} ${c.ok ? '' : c.code}`);
  fx.track(s.link, c.link);
  return [s.link, c.link];
}

/** `side`'s real chat traffic on `l` with contact `peer`, counting what its hooks hear. */
function traffic(
  me: Side,
  l: SecureLink,
  peer: Side,
  role: 'initiator' | 'responder',
  o: { budgets?: ChatBudgets; resendAfterMs?: number } = {},
) {
  const heard = { changed: 0, heldBack: 0, refused: 0, ids: [] as string[] };
  const hooks: TrafficHooks = {
    messagesChanged: (ids) => {
      heard.changed += ids.length;
      heard.ids.push(...ids);
    },
    storageFailed: () => {
      throw new Error('storage failed');
    },
    refused: () => heard.refused++,
    heldBack: (n) => (heard.heldBack = n),
  };
  const t = new LinkTraffic(
    l,
    peer.key,
    me.sessions,
    { role, identity: me.kx, held: me.sessions.sessionId(peer.key), force: false, ...o },
    hooks,
  );
  return { t, heard };
}

const stored = async (me: Side, peer: Side) =>
  (await me.store.listMessages(peer.key)).filter((m) => m.direction === 'in');

async function until(what: string, ok: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('chat flood (docs/outbox.md §5)', () => {
  it('a contact sealing chat as fast as the link takes it gets at most the receive budget stored; the queue of unopened messages stays bounded', async () => {
    const bob = await side('bob'),
      mallory = await side('mallory');
    const [lb, lm] = await link(bob, mallory);
    const { t, heard } = traffic(bob, lb, mallory, 'responder');
    // Mallory runs the real setup, then seals by hand, ignoring any pacing.
    let state: RatchetState | null = null;
    const setup = await setUpSession({
      link: lm,
      role: 'initiator',
      identity: mallory.kx,
      held: null,
      install: async (s) => {
        state = s.state;
      },
    });
    expect(setup.ok).toBe(true);
    expect((await t.ready).ok).toBe(true);
    // A flooder that announced must open with its features-check (docs/security.md "Downgrade"),
    // or the link closes at its first message; it sends the right one, then floods.
    const seen = (await lm.features)!;
    const check = encrypt(
      state!,
      encodeWire({ type: 'features-check', digest: announcementDigest(seen.own, seen.peer) }),
    );
    state = check.state;
    await lm.send({ type: 'ratchet', data: check.message });
    const N = 3000,
      text = 'x'.repeat(1024),
      stream = 'AAAAAAAAAAA';
    const started = Date.now();
    for (let seq = 1; seq <= N; seq++) {
      const sealed = encrypt(state!, encodeWire({ type: 'chat', id: `${stream}-${seq}`, text, sentAt: Date.now() }));
      state = sealed.state;
      await lm.send({ type: 'ratchet', data: sealed.message });
    }
    // Each message is dropped unopened, deferred, taken (stored, held for an earlier one, or too
    // far ahead) or refused (holes left by dropped ones: past the ratchet's MAX_SKIP the later
    // ones no longer open).
    const c = t.counts;
    await until('the flood to be dealt with', async () => c.dropped + c.deferred + c.taken + c.refused === N + 1);
    const seconds = (Date.now() - started) / 1000;
    const got = await stored(bob, mallory);
    const bytes = got.reduce((n, m) => n + m.text.length, 0);
    console.log(
      `chat flood: ${N} messages of 1 KiB in ${seconds.toFixed(1)} s → ${got.length} stored (${bytes} bytes of text), ${c.dropped} dropped unopened, ${c.deferred} deferred, ${c.taken} taken, ${c.refused} refused, at most ${t.maxQueued} waiting at once`,
    );
    // The bounds: the receive budget (burst + rate × time; records stored or held in the inbox
    // for an earlier one) and the queue of unopened messages.
    const held = (await bob.sessions.row(mallory.key))!.inbox.streams.reduce((n, st) => n + st.held.length, 0);
    expect(got.length + held).toBeLessThanOrEqual(
      CHAT_RECEIVE_MESSAGES.capacity + CHAT_RECEIVE_MESSAGES.perSecond * seconds + 1,
    );
    expect(bytes).toBeLessThanOrEqual(CHAT_RECEIVE_BYTES.capacity + CHAT_RECEIVE_BYTES.perSecond * seconds);
    expect(t.maxQueued).toBeLessThanOrEqual(MAX_QUEUED_RATCHET);
    // What was stored is the start of Mallory's stream, in order; the rest was held back, visibly.
    expect(heard.ids).toEqual(got.map((_, i) => `${stream}-${i + 1}`));
    // The rest was held back, visibly (dropped unopened or deferred), did not open, or was taken
    // into the inbox (held for an earlier one, or too far ahead and not kept).
    expect(heard.heldBack).toBe(c.dropped + c.deferred);
    expect(heard.refused).toBe(c.refused);
    expect(c.taken).toBeGreaterThanOrEqual(got.length + held + 1); // and the check
    expect(heard.changed).toBe(got.length);
  });

  it('an honest sender that outruns the budget loses nothing: every message arrives once, in order, and is marked delivered', async () => {
    const alice = await side('alice'),
      bob = await side('bob');
    const [lb, la] = await link(bob, alice);
    const N = 300;
    const texts = Array.from({ length: N }, (_, i) => `message ${i} ${'·'.repeat(i % 50)}`);
    for (const text of texts) await alice.sessions.write(bob.key, text, Date.now());
    const ids = await alice.sessions.pendingIds(bob.key);
    // Alice sends faster than Bob takes (Alice: 100 at once, then 100 a second; Bob takes 20 at
    // once, then 20 a second), and sends again what has no receipt after 2 s.
    const fast = { capacity: 100, perSecond: 100 };
    const a = traffic(alice, la, bob, 'initiator', {
      budgets: new ChatBudgets(Date.now, { messages: fast, opened: fast, send: fast }),
      resendAfterMs: 2000,
    });
    const b = traffic(bob, lb, alice, 'responder', {
      budgets: new ChatBudgets(Date.now, { messages: { capacity: 20, perSecond: 20 }, opened: fast, send: fast }),
    });
    await until(
      'every message at Bob and every receipt at Alice',
      async () =>
        (await stored(bob, alice)).length === N &&
        (await alice.store.listMessages(bob.key)).every((m) => m.delivered) &&
        (await alice.sessions.pendingIds(bob.key)).length === 0,
      120_000,
    );
    // Handed to the app in the order written, each once; stored with its text.
    expect(b.heard.ids).toEqual(ids);
    const got = new Map((await stored(bob, alice)).map((m) => [m.id, m.text]));
    expect(ids.map((id) => got.get(id))).toEqual(texts);
    expect(b.heard.heldBack).toBeGreaterThan(0); // the budget did hold some back
    expect(a.heard.refused + b.heard.refused).toBe(0);
    console.log(`honest sender: ${N} messages, ${b.heard.heldBack} held back on the way, all delivered once, in order`);
  }, 180_000); // the wait above allows 120 s (300 messages at Bob's 20 a second take ≥ 15 s, more under load)
});
