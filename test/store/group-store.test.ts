/**
 * Group storage (docs/groups.md §10.2) on the app's real database code over IndexedDB
 * (fake-indexeddb in node): database version 3 and its upgrade from version 2, one-transaction
 * commits that queue copies in the pairwise outboxes, `sealEntry` turning a group entry into the
 * wire `group` message, and `receive` putting group messages into the group inbox — exactly once,
 * in outbox order, and at most MAX_WAITING_PER_PEER waiting per peer.
 */
import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import { decrypt, encrypt, type RatchetState } from '../../src/core/ratchet';
import { decodeWire, encodeWire } from '../../src/core/wire';
import { ParleyStore } from '../../src/store/db';
import { ContactSessions } from '../../src/store/contact-sessions';
import { GroupStore } from '../../src/store/group-store';
import { MAX_WAITING_PER_PEER, type GroupMessageRecord } from '../../src/store/group-records';
import { pair } from '../core/ratchet-helpers';

const BOB = 'b0'.repeat(32),
  CAROL = 'c0'.repeat(32),
  G = '9a'.repeat(32),
  STREAM = 'AAAAAAAAAAA';

const ownMessage = (id: string, bytes: Uint8Array): GroupMessageRecord => ({
  group: G,
  id,
  kind: 'text',
  sender: 'a0'.repeat(32),
  epoch: '00'.repeat(8),
  seq: 2,
  lamport: 5,
  sentAt: 1,
  receivedAt: 1,
  text: 'hi',
  own: true,
  bytes,
});

async function withSession(contact: string, role: 'initiator' | 'responder', label: string) {
  const store = await ParleyStore.open(`groups-${Math.random()}`);
  const sessions = new ContactSessions(store.database);
  const { a, b } = await pair(label);
  await sessions.install(contact, {
    id: 'ab'.repeat(32),
    role,
    state: role === 'initiator' ? a : b,
    roomKey: new Uint8Array(32),
    peerKemPublicKey: new Uint8Array(1184),
  });
  return { store, sessions, groups: new GroupStore(store.database), peer: role === 'initiator' ? b : a };
}

describe('database version 3', () => {
  it('upgrades a version 2 database: the group stores appear, sessions and messages stay', async () => {
    const name = `v2-${Math.random()}`;
    const v2 = await openDB(name, 2, {
      upgrade(db) {
        for (const s of ['identity', 'contacts', 'invites'])
          db.createObjectStore(s, { keyPath: s === 'contacts' ? 'key' : 'id' });
        db.createObjectStore('messages', { keyPath: ['contact', 'id'] }).createIndex('byContactTime', [
          'contact',
          'sentAt',
        ]);
        db.createObjectStore('sessions', { keyPath: 'contact' });
      },
    });
    await v2.put('sessions', { contact: BOB, version: 3, session: null, outbox: {}, inbox: {} });
    await v2.put('messages', { contact: BOB, id: 'm1', direction: 'in', text: 'kept', sentAt: 1, delivered: true });
    v2.close();
    const store = await ParleyStore.open(name);
    expect([...store.database.objectStoreNames].sort()).toEqual([
      'contacts',
      'groupInbox',
      'groupMessages',
      'groupPeers',
      'groups',
      'identity',
      'invites',
      'messages',
      'sessions',
    ]);
    expect((await store.database.get('sessions', BOB))?.version).toBe(3);
    expect((await store.listMessages(BOB)).map((m) => m.text)).toEqual(['kept']);
    store.close();
  });
});

describe('GroupStore.commit and ContactSessions.sealEntry', () => {
  it('queues one entry per member in one transaction; each seals to the wire group message with its bytes', async () => {
    const { sessions, groups, peer } = await withSession(BOB, 'initiator', 'seal');
    const bytes = Uint8Array.from([1, 2, 3, 4]);
    const control = Uint8Array.from([9, 8, 7]);
    const touched = await groups.commit({
      messages: [ownMessage('m-1', bytes)],
      outgoing: [
        { to: BOB, group: G, ref: 'm-1' },
        { to: CAROL, group: G, ref: 'm-1' },
        { to: BOB, group: G, bytes: control },
      ],
    });
    expect(touched.sort()).toEqual([BOB, CAROL]);
    expect((await sessions.pendingIds(CAROL)).length).toBe(1);
    const ids = await sessions.pendingIds(BOB);
    expect(ids.length).toBe(2);
    let state: RatchetState = peer;
    const opened = [];
    for (const id of ids) {
      const wire = await sessions.sealEntry(BOB, id);
      const r = await decrypt(state, wire!, 0);
      if (!r.ok) throw new Error(r.message);
      state = r.newState;
      opened.push(decodeWire(r.plaintext));
    }
    expect(opened).toEqual([
      { ok: true, message: { type: 'group', id: ids[0], data: bytes } },
      { ok: true, message: { type: 'group', id: ids[1], data: control } },
    ]);
  });

  it('an entry whose message is gone seals to nothing (it is never sent as something else)', async () => {
    const { sessions, groups } = await withSession(BOB, 'initiator', 'gone');
    await groups.commit({ outgoing: [{ to: BOB, group: G, ref: 'missing' }] });
    const [id] = await sessions.pendingIds(BOB);
    expect(await sessions.sealEntry(BOB, id!)).toBeNull();
  });
});

describe('ContactSessions.receive of group messages', () => {
  async function receiver() {
    const s = await withSession(BOB, 'responder', 'recv');
    let sender = s.peer;
    const seal = (seq: number | null, data: Uint8Array) => {
      const m =
        seq === null ? { type: 'group' as const, data } : { type: 'group' as const, id: `${STREAM}-${seq}`, data };
      const e = encrypt(sender, encodeWire(m));
      sender = e.state;
      return e.message;
    };
    let woken = 0;
    s.sessions.onGroupInbox = () => woken++;
    return { ...s, seal, woken: () => woken };
  }

  it('goes to the group inbox (not the chat), is receipted, and a repeat is not stored twice', async () => {
    const { store, sessions, groups, seal, woken } = await receiver();
    const r = await sessions.receive(BOB, seal(1, Uint8Array.from([5, 6])));
    expect(r).toMatchObject({ status: 'ok', kind: 'group', receipts: [`${STREAM}-1`], changed: [] });
    expect(woken()).toBe(1);
    const again = await sessions.receive(BOB, seal(1, Uint8Array.from([5, 6])));
    expect(again).toMatchObject({ status: 'ok', receipts: [`${STREAM}-1`] });
    const inbox = await groups.inbox();
    expect(inbox.map((i) => [i.from, [...i.bytes]])).toEqual([[BOB, [5, 6]]]);
    expect(await store.listMessages(BOB)).toEqual([]);
  });

  it('keeps the outbox order: a later one waits for the earlier, then both arrive in order', async () => {
    const { sessions, groups, seal } = await receiver();
    const later = seal(2, Uint8Array.from([2]));
    const first = seal(1, Uint8Array.from([1]));
    expect(await sessions.receive(BOB, later)).toMatchObject({ status: 'ok', receipts: [] });
    expect(await groups.inbox()).toEqual([]);
    expect(await sessions.receive(BOB, first)).toMatchObject({ receipts: [`${STREAM}-1`, `${STREAM}-2`] });
    expect((await groups.inbox()).map((i) => i.bytes[0])).toEqual([1, 2]);
  });

  it('a group message without an outbox id is refused', async () => {
    const { sessions, groups, seal } = await receiver();
    const r = await sessions.receive(BOB, seal(null, Uint8Array.from([1])));
    expect(r).toMatchObject({ status: 'rejected', failure: { code: 'SESSION_BAD_PAYLOAD' } });
    expect(await groups.inbox()).toEqual([]);
  });

  it(`at most ${MAX_WAITING_PER_PEER} wait per peer: the next is deferred (no receipt) and taken once there is room`, async () => {
    const { sessions, groups, seal } = await receiver();
    for (let i = 1; i <= MAX_WAITING_PER_PEER; i++)
      expect(await sessions.receive(BOB, seal(i, Uint8Array.from([i])))).toMatchObject({ status: 'ok' });
    const over = MAX_WAITING_PER_PEER + 1;
    expect(await sessions.receive(BOB, seal(over, Uint8Array.from([0])))).toEqual({
      status: 'deferred',
      kind: 'group',
      bound: 'held',
    });
    const rows = await groups.inbox();
    expect(rows.length).toBe(MAX_WAITING_PER_PEER);
    await groups.commit({ takeInbox: [rows[0]!.seq!] });
    expect(await sessions.receive(BOB, seal(over, Uint8Array.from([0])))).toMatchObject({
      status: 'ok',
      receipts: [`${STREAM}-${over}`],
    });
  });
});
