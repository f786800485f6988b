/**
 * The mailbox courier (docs/app.md "Mailbox"; issue 12, app side) on real parts: the real relay
 * (server/relay.ts, in this process, on 127.0.0.1) with its in-memory mailbox, the app's
 * `DaySockets` and `MailboxClient` over WebSockets, `ContactSessions` over IndexedDB
 * (fake-indexeddb: the IndexedDB API in memory, so the store code is the app's own) and the real
 * Double Ratchet. The relay's `onMailbox` hook records what it stores, so the test can play the
 * relay (or anyone who learnt an address): forge, replay, reorder and misdirect blobs.
 */
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { bytesToHex } from '@noble/hashes/utils.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { mailboxAddress, sealMailboxBlob } from '../../src/core/mailbox';
import { dayOf } from '../../src/core/rendezvous';
import { encodeWire } from '../../src/core/wire';
import { DaySockets } from '../../src/net/day-sockets';
import { MailboxClient } from '../../src/net/mailbox-client';
import { mailboxDaySecret } from '../../src/net/session-derive';
import type { SignalingClient, WebSocketConstructor } from '../../src/net/signaling';
import { ParleyStore } from '../../src/store/db';
import { ContactSessions } from '../../src/store/contact-sessions';
import { GroupStore } from '../../src/store/group-store';
import { pendingGroupCopies } from '../../src/store/group-outbox';
import { ChatBudgets } from '../../src/app/chat-budget';
import { MailboxCourier } from '../../src/app/mailbox-courier';
import type { MailboxClientFactory } from '../../src/app/mailbox-day';
import { startTestRelay, type TestRelay } from '../support/relay';
import { pair } from '../core/ratchet-helpers';

const WS = WebSocket as unknown as WebSocketConstructor;
const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));

interface Stored {
  address: string;
  data: string;
}

interface Side {
  name: string;
  publicKey: Uint8Array;
  key: string;
  store: ParleyStore;
  sessions: ContactSessions;
  relay: DaySockets;
  /** Per contact key, the ids of history records in the order the courier reported them. */
  changed: Map<string, string[]>;
  failures: number;
  courier: MailboxCourier;
  contacts: Map<string, Side>;
}

const opened: { close(): void }[] = [];
const stops: AbortController[] = [];
let relay: TestRelay | null = null;
afterEach(async () => {
  for (const s of stops.splice(0)) s.abort();
  for (const o of opened.splice(0)) o.close();
  await relay?.close();
  relay = null;
});

async function startRelay(): Promise<{ puts: Stored[] }> {
  const puts: Stored[] = [];
  relay = await startTestRelay({
    onMailbox: (e) => {
      if (e.op === 'mailbox-put' && e.data) puts.push({ address: e.address, data: e.data });
    },
  });
  return { puts };
}

/** A person's app: `same` gives the key and database of an earlier one (the same browser, restarted). */
async function side(name: string, o: { client?: MailboxClientFactory; same?: Side } = {}): Promise<Side> {
  const publicKey = o.same?.publicKey ?? ed25519.getPublicKey(random(32));
  const store = o.same?.store ?? (await ParleyStore.open(`${name}-${bytesToHex(random(8))}`));
  const sessions = new ContactSessions(store.database);
  const days = new DaySockets(relay!.url, { signaling: { WebSocket: WS, minBackoffMs: 20, maxBackoffMs: 200 } });
  opened.push(days);
  const stop = new AbortController();
  stops.push(stop);
  const s = { name, publicKey, key: bytesToHex(publicKey), store, sessions, relay: days } as Side;
  s.changed = new Map();
  s.failures = 0;
  s.contacts = new Map();
  s.courier = new MailboxCourier({
    relay: () => days,
    sessions,
    db: store.database,
    me: () => publicKey,
    contacts: () => [...s.contacts.keys()],
    find: (key) => s.contacts.get(key),
    connected: () => false,
    sendOnLink: async () => false,
    hooks: {
      messagesChanged: (key, id) => s.changed.set(key, [...(s.changed.get(key) ?? []), id]),
      storageFailed: () => s.failures++,
    },
    budgets: new ChatBudgets(),
    stop: stop.signal,
    graceMs: 60 * 60_000, // posting only when the test says so
    pollMs: 60 * 60_000,
    client: o.client,
  });
  return s;
}

/** Makes `a` (initiator) and `b` (responder) contacts with one session, as a kx would leave them. */
async function contacts(a: Side, b: Side): Promise<Uint8Array> {
  const { a: ra, b: rb } = await pair(`${a.name}-${b.name}-${Math.random()}`);
  const roomKey = random(32);
  const common = { id: bytesToHex(random(32)), roomKey, peerKemPublicKey: new Uint8Array(1184) };
  await a.sessions.install(b.key, { ...common, role: 'initiator', state: ra });
  await b.sessions.install(a.key, { ...common, role: 'responder', state: rb });
  a.contacts.set(b.key, b);
  b.contacts.set(a.key, a);
  return roomKey;
}

const texts = async (me: Side, peer: Side) =>
  (await me.store.listMessages(peer.key)).filter((m) => m.direction === 'in').map((m) => m.text);
const outgoing = async (me: Side, peer: Side) =>
  (await me.store.listMessages(peer.key)).filter((m) => m.direction === 'out');

/** `from` writes `lines` to `to` while `to` is away; the courier leaves them at `to`'s mailbox. */
async function writeAway(from: Side, to: Side, lines: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const [i, t] of lines.entries()) ids.push((await from.sessions.write(to.key, t, Date.now() + i)).id);
  await from.courier.post(to.key);
  return ids;
}

/** A mailbox client of its own on the relay, as anyone who knows an address can have. */
async function stranger(): Promise<MailboxClient> {
  const days = new DaySockets(relay!.url, { signaling: { WebSocket: WS } });
  opened.push(days);
  const s: SignalingClient = days.lease([dayOf(Date.now())]).forDay(dayOf(Date.now()));
  for (let i = 0; i < 200 && !(s.status === 'open' && s.relayInfo); i++) await new Promise((r) => setTimeout(r, 25));
  return new MailboxClient(s);
}

const fromB64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64url'));

describe('mailbox courier (docs/app.md "Mailbox")', () => {
  it('what Alice writes while Bob is away reaches Bob once and in order when he drains; his receipts reach her through her mailbox', async () => {
    const { puts } = await startRelay();
    const alice = await side('alice'),
      bob = await side('bob');
    await contacts(alice, bob);
    const ids = await writeAway(alice, bob, ['one', 'two', 'three']);
    expect(puts).toHaveLength(3);
    // Padded to the smallest size class: the relay learns only "short".
    expect(new Set(puts.map((p) => fromB64(p.data).length))).toEqual(new Set([1024]));
    const marked = await outgoing(alice, bob);
    expect(marked.every((m) => m.mailboxAt !== undefined && !m.delivered)).toBe(true);
    // Posting again puts nothing twice.
    await alice.courier.post(bob.key);
    expect(puts).toHaveLength(3);

    await bob.courier.drain();
    expect(await texts(bob, alice)).toEqual(['one', 'two', 'three']);
    expect(bob.changed.get(alice.key)).toEqual(ids);
    // Acknowledged: drained again, nothing comes twice.
    await bob.courier.drain();
    expect(await texts(bob, alice)).toEqual(['one', 'two', 'three']);
    expect(bob.changed.get(alice.key)).toEqual(ids);
    expect(puts).toHaveLength(6); // Bob's three receipts, at Alice's address

    await alice.courier.drain();
    expect((await outgoing(alice, bob)).map((m) => m.delivered)).toEqual([true, true, true]);
    expect(await alice.sessions.pendingIds(bob.key)).toEqual([]);
    expect(alice.failures + bob.failures).toBe(0);
  });

  it('a blob taken but not acknowledged (a crash between commit and ack) comes back and is shown once', async () => {
    await startRelay();
    const alice = await side('alice');
    const noAck: MailboxClientFactory = (s, timeoutMs) => {
      const real = new MailboxClient(s, { timeoutMs });
      return {
        put: (a, b) => real.put(a, b),
        fetch: (a, o) => real.fetch(a, o),
        ack: async () => ({ ok: true, deleted: 0 }),
        close: () => real.close(),
      };
    };
    const crashing = await side('bob', { client: noAck });
    const roomKey = await contacts(alice, crashing);
    await writeAway(alice, crashing, ['one', 'two']);
    await crashing.courier.drain();
    expect(await texts(crashing, alice)).toEqual(['one', 'two']);
    // The same browser started again (same key and database), acknowledging this time.
    const bob = await side('bob', { same: crashing });
    bob.contacts.set(alice.key, alice);
    await bob.courier.drain();
    expect(await texts(bob, alice)).toEqual(['one', 'two']);
    expect(bob.changed.get(alice.key)).toBeUndefined(); // the copies wrote nothing
    const m = await stranger();
    const address = mailboxAddress(mailboxDaySecret(roomKey, bob.publicKey, dayOf(Date.now())));
    expect(await m.fetch(address)).toMatchObject({ ok: true, blobs: [] }); // acknowledged this time
    expect(crashing.failures + bob.failures).toBe(0);
  });

  it('group copies go the same way (docs/groups.md §10.2): put once, taken into the group inbox once and in outbox order, receipted; one too large for a blob waits for a link, and what follows it with it', async () => {
    const { puts } = await startRelay();
    const alice = await side('alice'),
      bob = await side('bob');
    await contacts(alice, bob);
    const group = 'ab'.repeat(32);
    const small = Uint8Array.from({ length: 300 }, (_, i) => i % 251);
    const large = new Uint8Array(40_000).fill(7); // over the relay's largest blob (32 KiB)
    await alice.sessions.write(bob.key, 'chat before', Date.now());
    await new GroupStore(alice.store.database).commit({ outgoing: [{ to: bob.key, group, bytes: small }] });
    await new GroupStore(alice.store.database).commit({ outgoing: [{ to: bob.key, group, bytes: large }] });
    await alice.sessions.write(bob.key, 'chat after', Date.now() + 1);
    const [, copy, big] = await alice.sessions.pendingIds(bob.key);
    await alice.courier.post(bob.key);
    expect(puts).toHaveLength(3); // two chats and the small copy
    const marks = await pendingGroupCopies(alice.store.database, bob.key, [copy!, big!]);
    expect(marks.map((c) => [c.id, c.mailboxAt !== undefined])).toEqual([
      [copy, true],
      [big, false],
    ]);
    await alice.courier.post(bob.key);
    expect(puts).toHaveLength(3); // nothing put twice

    await bob.courier.drain();
    await bob.courier.drain();
    // In outbox order: the chat after the large copy is held until that copy comes over a link.
    expect(await texts(bob, alice)).toEqual(['chat before']);
    const inbox = await bob.store.database.getAll('groupInbox');
    expect(inbox.map((r) => [r.from, bytesToHex(r.bytes)])).toEqual([[alice.key, bytesToHex(small)]]);

    await alice.courier.drain();
    const left = await alice.sessions.pendingIds(bob.key);
    expect(left).toContain(big); // the large copy waits for a link
    expect(left).not.toContain(copy); // the small one was receipted through Alice's mailbox
    expect(alice.failures + bob.failures).toBe(0);
  });
});

describe('mailbox attacks: the relay, or anyone who knows an address', () => {
  it('cannot forge a blob into the chat: it does not open, is deleted, and the real messages still arrive', async () => {
    await startRelay();
    const alice = await side('alice'),
      bob = await side('bob');
    const roomKey = await contacts(alice, bob);
    const address = mailboxAddress(mailboxDaySecret(roomKey, bob.publicKey, dayOf(Date.now())));
    const m = await stranger();
    // Random bytes of a size class, and a blob sealed under a made-up secret with a plausible inside.
    const junk = random(1024);
    junk[0] = 1;
    expect((await m.put(address, junk)).ok).toBe(true);
    const madeUp = encodeWire({ type: 'ratchet', data: random(200) });
    expect((await m.put(address, sealMailboxBlob(random(32), madeUp, random))).ok).toBe(true);
    await writeAway(alice, bob, ['real one', 'real two']);
    await bob.courier.drain();
    expect(await texts(bob, alice)).toEqual(['real one', 'real two']);
    expect(await m.fetch(address)).toMatchObject({ ok: true, blobs: [] });
    expect(bob.failures).toBe(0);
  });

  it('cannot replay a blob: the copy opens but the ratchet refuses it, and nothing is shown twice', async () => {
    const { puts } = await startRelay();
    const alice = await side('alice'),
      bob = await side('bob');
    await contacts(alice, bob);
    await writeAway(alice, bob, ['once', 'only once']);
    await bob.courier.drain();
    const m = await stranger();
    for (const p of puts.slice(0, 2)) expect((await m.put(p.address, fromB64(p.data))).ok).toBe(true);
    await bob.courier.drain();
    expect(await texts(bob, alice)).toEqual(['once', 'only once']);
    expect(await m.fetch(puts[0]!.address)).toMatchObject({ ok: true, blobs: [] });
    // After the replays, a new message still arrives.
    await writeAway(alice, bob, ['after the replay']);
    await bob.courier.drain();
    expect(await texts(bob, alice)).toEqual(['once', 'only once', 'after the replay']);
  });

  it('cannot reorder blobs into the chat: put back in reverse, they are shown in the order written', async () => {
    const { puts } = await startRelay();
    const alice = await side('alice'),
      bob = await side('bob');
    await contacts(alice, bob);
    const ids = await writeAway(alice, bob, ['first', 'second', 'third']);
    const m = await stranger();
    const address = puts[0]!.address;
    const first = await m.fetch(address);
    if (!first.ok) throw new Error(first.message);
    await m.ack(
      address,
      first.blobs.map((b) => b.id),
    );
    for (const p of [...puts].reverse()) expect((await m.put(address, fromB64(p.data))).ok).toBe(true);
    await bob.courier.drain();
    expect(await texts(bob, alice)).toEqual(['first', 'second', 'third']);
    expect(bob.changed.get(alice.key)).toEqual(ids); // delivered in order, not as fetched
  });

  it('a blob meant for another contact is ignored: moved to another address, it opens for nobody', async () => {
    const { puts } = await startRelay();
    const alice = await side('alice'),
      bob = await side('bob'),
      carol = await side('carol');
    const ab = await contacts(alice, bob);
    const cb = await contacts(carol, bob);
    const day = dayOf(Date.now());
    const aliceToBob = mailboxAddress(mailboxDaySecret(ab, bob.publicKey, day));
    const carolToBob = mailboxAddress(mailboxDaySecret(cb, bob.publicKey, day));
    await writeAway(alice, bob, ['from alice']);
    await writeAway(carol, bob, ['from carol']);
    const genuine = puts.slice();
    const m = await stranger();
    // Each blob moved to the other contact's address (the originals taken away).
    for (const address of [aliceToBob, carolToBob]) {
      const page = await m.fetch(address);
      if (!page.ok) throw new Error(page.message);
      expect(page.blobs).toHaveLength(1);
      await m.ack(
        address,
        page.blobs.map((b) => b.id),
      );
    }
    for (const p of genuine)
      expect((await m.put(p.address === aliceToBob ? carolToBob : aliceToBob, fromB64(p.data))).ok).toBe(true);
    await bob.courier.drain();
    expect(await texts(bob, alice)).toEqual([]);
    expect(await texts(bob, carol)).toEqual([]);
    expect(await m.fetch(aliceToBob)).toMatchObject({ ok: true, blobs: [] });
    expect(await m.fetch(carolToBob)).toMatchObject({ ok: true, blobs: [] });
    // Nothing is lost: both still hold their message without a receipt, for the next link.
    expect(await alice.sessions.pendingIds(bob.key)).toHaveLength(1);
    expect(await carol.sessions.pendingIds(bob.key)).toHaveLength(1);
    expect(bob.failures).toBe(0);
  });
});
