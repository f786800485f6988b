/**
 * Five group members over real links (docs/groups.md §10, §13): node-datachannel on loopback, the
 * real relay (server/relay.ts), the real handshake, kx and ratchets, and on each device the app's
 * real group code — `GroupEngine` over `GroupStore` and `ContactSessions` on an in-memory IndexedDB,
 * `LinkTraffic` carrying the pairwise outboxes on each live link (as `ContactPeer` does). The five
 * are each other's contacts, so the group needs no introductions; what is shown is delivery and
 * order. One member goes offline (every link of theirs closed) while four others send a burst, and
 * writes one of their own; when they are back (new links, the sessions they hold), all five show
 * the same history: the same messages, in the same order, each once.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '@noble/hashes/utils.js';
import { generateIdentity, type Identity } from '../../src/core/identity';
import type { KxIdentity, KxRole } from '../../src/core/kx';
import { openLink, type SecureLink } from '../../src/net/link';
import type { SignalingClient } from '../../src/net/signaling';
import { kemKeyPairFromSeed } from '../../src/net/session-derive';
import { ParleyStore } from '../../src/store/db';
import { ContactSessions } from '../../src/store/contact-sessions';
import { GroupStore } from '../../src/store/group-store';
import { GroupEngine } from '../../src/app/group-engine';
import { timelineOrder } from '../../src/app/group-step';
import { LinkTraffic } from '../../src/app/session-traffic';
import { nodeWrtc } from '../support/wrtc';
import { linkFixture } from '../support/link-fixture';

const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));
const fx = linkFixture();

interface Member {
  name: string;
  id: Identity;
  kx: KxIdentity;
  key: string;
  sig: SignalingClient;
  sessions: ContactSessions;
  store: GroupStore;
  engine: GroupEngine;
  /** The live link's traffic to each other member, by their key. */
  traffic: Map<string, { link: SecureLink; traffic: LinkTraffic }>;
  problems: string[];
}

async function member(name: string, everyone: () => Member[]): Promise<Member> {
  const seed = random(32);
  const id = generateIdentity(() => seed.slice());
  const db = await ParleyStore.open(`group-five-${name}-${bytesToHex(random(8))}`);
  const sessions = new ContactSessions(db.database);
  const store = new GroupStore(db.database);
  const key = bytesToHex(id.publicKey);
  const traffic = new Map<string, { link: SecureLink; traffic: LinkTraffic }>();
  const problems: string[] = [];
  const engine = new GroupEngine({
    store,
    self: () => ({ me: id, name }),
    // Everyone is a contact of everyone: a pairwise peer's id is its key.
    peers: () => ({ linked: new Set(everyone().map((m) => m.key)), peerOf: (k) => k, keyOf: (p) => p }),
    flush: (ids) => {
      for (const peer of ids) void traffic.get(peer)?.traffic.flush();
    },
    changed: () => {},
  });
  sessions.onGroupInbox = () => void engine.process().catch((e: unknown) => problems.push(String(e)));
  return {
    name,
    id,
    kx: { ed25519: id, kem: kemKeyPairFromSeed(seed) },
    key,
    sig: await fx.signaling(),
    sessions,
    store,
    engine,
    traffic,
    problems,
  };
}

/** The app's traffic on one end of a link, registered until the link closes. */
function carry(me: Member, them: Member, link: SecureLink, role: KxRole): LinkTraffic {
  const t = new LinkTraffic(
    link,
    them.key,
    me.sessions,
    { role, identity: me.kx, held: me.sessions.sessionId(them.key), force: false },
    {
      messagesChanged: () => {},
      storageFailed: () => me.problems.push(`storage failed with ${them.name}`),
      refused: (f) => me.problems.push(`refused from ${them.name}: ${f.code}`),
      interfered: (f) => me.problems.push(`interfered with ${them.name}: ${f.code}`),
    },
  );
  me.traffic.set(them.key, { link, traffic: t });
  link.onClose(() => {
    if (me.traffic.get(them.key)?.link === link) me.traffic.delete(them.key);
  });
  return t;
}

/** A link between two members in a fresh room (the lower key dials), with the app's traffic on both ends. */
async function connect(a: Member, b: Member): Promise<void> {
  const [server, client] = a.key < b.key ? [b, a] : [a, b];
  const common = { rendezvousSecret: random(32), iceServers: [], wrtc: nodeWrtc, timeoutMs: 20_000 };
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
  if (!s.ok || !c.ok) throw new Error(`${a.name}–${b.name}: no link (${s.ok ? '' : s.code} ${c.ok ? '' : c.code})`);
  fx.track(s.link, c.link);
  const ready = [carry(server, client, s.link, 'responder').ready, carry(client, server, c.link, 'initiator').ready];
  const r = await Promise.all(ready);
  if (!r.every((x) => x.ok)) throw new Error(`${a.name}–${b.name}: session setup failed`);
}

async function until(what: string, ok: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A member's group texts in the order the app shows them, as `id text`. */
async function history(m: Member, group: string): Promise<string[]> {
  return (await m.store.messages(group))
    .filter((r) => r.kind === 'text')
    .sort(timelineOrder)
    .map((r) => `${r.id} ${r.text}`);
}
const shown = async (m: Member, group: string) => (await history(m, group)).map((h) => h.slice(h.indexOf(' ') + 1));

describe('a group of five over real links', () => {
  it('one member offline during a burst from several senders: when back, all five show the same history, each message once', async () => {
    const all: Member[] = [];
    for (const name of ['Alice', 'Bob', 'Carol', 'Dave', 'Erin']) all.push(await member(name, () => all));
    const [alice, bob, carol, dave, erin] = all as [Member, Member, Member, Member, Member];
    for (let i = 0; i < all.length; i++) for (let j = i + 1; j < all.length; j++) await connect(all[i]!, all[j]!);

    // Alice makes the group; her list reaches every member over its pairwise link, and every
    // member's hello reaches every other.
    const made = await alice.engine.create(
      'Five',
      all.slice(1).map((m) => ({ key: m.id.publicKey, name: m.name })),
    );
    if (!made.ok) throw new Error(made.problem);
    const g = made.id;
    await until('every member holds the group and every hello', async () => {
      for (const m of all) {
        const rows = await m.store.messages(g);
        if (rows.filter((r) => r.kind === 'hello').length !== 5) return false;
      }
      return true;
    });

    // Erin goes offline: every link of hers closes.
    await Promise.all([...erin.traffic.values()].map((t) => t.link.close()));
    for (const m of all) await until(`${m.name} sees Erin gone`, async () => !m.traffic.has(erin.key) || m === erin);
    expect(erin.traffic.size).toBe(0);

    // A burst from four senders, interleaved, while Erin is away; Erin writes one of her own.
    const burst: string[] = [];
    const sends: Promise<unknown>[] = [];
    for (let round = 0; round < 4; round++)
      for (const m of [alice, bob, carol, dave]) {
        const text = `${m.name} ${round}`;
        burst.push(text);
        sends.push(m.engine.send(g, text).then((r) => expect(r).toMatchObject({ ok: true })));
      }
    sends.push(erin.engine.send(g, 'Erin while away').then((r) => expect(r).toMatchObject({ ok: true })));
    await Promise.all(sends);
    const everything = [...burst, 'Erin while away'].sort();

    // The four online show the burst (and not Erin's yet); Erin shows only her own.
    for (const m of [alice, bob, carol, dave])
      await until(`${m.name} shows the burst`, async () => (await shown(m, g)).length === burst.length);
    for (const m of [alice, bob, carol, dave]) expect((await shown(m, g)).sort()).toEqual([...burst].sort());
    expect(await shown(erin, g)).toEqual(['Erin while away']);

    // Erin is back: new links, the sessions both sides hold.
    for (const m of [alice, bob, carol, dave]) await connect(erin, m);
    for (const m of all)
      await until(`${m.name} shows everything`, async () => (await shown(m, g)).length === everything.length);

    // The same messages, in the same order (same ids too), each once, on all five.
    const reference = await history(alice, g);
    expect(reference.map((h) => h.slice(h.indexOf(' ') + 1)).sort()).toEqual(everything);
    expect(new Set(reference.map((h) => h.split(' ')[0])).size).toBe(everything.length);
    for (const m of all) expect(await history(m, g)).toEqual(reference);
    // Each sender's messages in the order they were written.
    for (const m of [alice, bob, carol, dave]) {
      const own = (await shown(erin, g)).filter((t) => t.startsWith(`${m.name} `));
      expect(own).toEqual([0, 1, 2, 3].map((i) => `${m.name} ${i}`));
    }
    // Every copy was receipted: nothing is left in any pairwise outbox, nothing in any group inbox.
    for (const m of all) {
      await until(`${m.name}'s outboxes drain`, async () => {
        for (const o of all) if (o !== m && (await m.sessions.pendingIds(o.key)).length > 0) return false;
        return (await m.store.inbox()).length === 0;
      });
      expect(m.problems).toEqual([]);
    }
    // Every peer connection is closed before the test ends.
    await Promise.all(all.flatMap((m) => [...m.traffic.values()].map((t) => t.link.close())));
  }, 240_000);
});
