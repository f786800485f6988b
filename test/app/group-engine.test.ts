/**
 * The app's group state machine (`GroupEngine`, docs/groups.md §10) over the real database code
 * (fake-indexeddb): four people, each with their own database, whose pairwise outboxes are
 * carried to each other's group inbox only between people who are linked (contacts, or members
 * once an introduction's meeting happened). Walks issue 14's story: create with two contacts who
 * never met (introduced through the admin), chat in one order everywhere, a member adds their own
 * contact (vouch → admin → list forwarded by the voucher → intros → hello), the admin removes a
 * member who then receives nothing, and a member leaves.
 */
import 'fake-indexeddb/auto';
import { bytesToHex } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { fromBase64Url } from '../../src/core/base64url';
import { generateIdentity, type Identity } from '../../src/core/identity';
import { acknowledge } from '../../src/core/outbox';
import { ParleyStore } from '../../src/store/db';
import { GroupStore } from '../../src/store/group-store';
import { GroupEngine } from '../../src/app/group-engine';
import { heldOf } from '../../src/app/group-step';
import { adminAway, adminAwayText } from '../../src/app/group-admin-away';
import { seededRandom } from '../core/kx-helpers';
import { describeFiles, GroupFileShelf } from '../../src/app/group-files';
import { groupFileGone, groupFileRequest } from '../../src/core/group-files';
import { hexToBytes } from '@noble/hashes/utils.js';

interface Person {
  name: string;
  me: Identity;
  hex: string;
  db: ParleyStore;
  store: GroupStore;
  engine: GroupEngine;
  linked: Set<string>;
  online: boolean;
  /** Group files this person offered (the real shelf), and the transfers its engine started. */
  shelf: GroupFileShelf;
  served: { offerId: string; member: string; files: string[] }[];
}

async function person(name: string): Promise<Person> {
  const random = seededRandom(`engine-${name}`);
  const me = generateIdentity(random);
  const db = await ParleyStore.open(`engine-${name}-${Math.random()}`);
  const store = new GroupStore(db.database);
  const linked = new Set<string>();
  const shelf = new GroupFileShelf();
  const served: Person['served'] = [];
  const engine = new GroupEngine({
    // Serving stands for starting the pairwise transfer (TransfersState.send in the app).
    files: {
      offers: (group) => shelf.offers(group),
      serve: ({ offerId, member }) => {
        const files = shelf.take(offerId, member);
        if (files) served.push({ offerId, member, files: files.map((f) => f.name) });
        return !!files;
      },
    },
    store,
    self: () => ({ me, name }),
    peers: () => ({ linked, peerOf: (k) => k, keyOf: (p) => p }),
    flush: () => {},
    changed: () => {},
    random,
  });
  return { name, me, hex: bytesToHex(me.publicKey), db, store, engine, linked, online: true, shelf, served };
}

const link = (a: Person, b: Person) => (a.linked.add(b.hex), b.linked.add(a.hex));

/** Carries every queued copy between linked, online people, and runs intros' meetings, until nothing moves. */
async function settle(people: Person[]): Promise<void> {
  for (let round = 0; round < 20; round++) {
    let moved = false;
    for (const p of people.filter((x) => x.online)) await p.engine.process();
    for (const p of people.filter((x) => x.online)) {
      for (const row of await p.db.database.getAll('sessions')) {
        const to = people.find((q) => q.hex === row.contact);
        if (!to?.online || !p.linked.has(to.hex)) continue;
        let outbox = row.outbox;
        for (const e of row.outbox.entries) {
          const pl = e.payload as { group: string; ref?: string; bytes?: string };
          const bytes = pl.bytes ? fromBase64Url(pl.bytes)! : (await p.store.message(pl.group, pl.ref!))!.bytes!;
          await to.db.database.add('groupInbox', { from: p.hex, bytes, receivedAt: 0 });
          const a = acknowledge(outbox, e.id);
          if (a.ok) outbox = a.outbox;
          moved = true;
        }
        await p.db.database.put('sessions', { ...row, version: row.version + 1, outbox });
      }
      // An intro both sides hold is a meeting that succeeds: both store the other as a group peer.
      for (const g of await p.store.list())
        for (const i of g.introsMade) {
          const q = people.find((x) => x.hex === i.to)!;
          const theirs = (await q.store.list()).some((h) => h.introsAccepted.some((a) => a.from === p.hex));
          if (!q.online || !theirs) continue;
          link(p, q);
          for (const [x, y] of [
            [p, q],
            [q, p],
          ] as const)
            await x.engine.introduced({
              key: y.hex,
              publicKey: y.me.publicKey,
              name: y.name,
              contactSecret: new Uint8Array(32),
            });
          moved = true;
        }
    }
    if (!moved) return;
  }
  throw new Error('the group did not settle in 20 rounds');
}

async function texts(p: Person, group: string): Promise<string[]> {
  const rows = await p.store.messages(group);
  rows.sort((a, b) => a.lamport - b.lamport || (a.sender < b.sender ? -1 : a.sender > b.sender ? 1 : a.seq - b.seq));
  return rows
    .filter((r) => r.kind === 'text')
    .map((r) => `${r.sender === p.hex ? p.name : r.sender.slice(0, 4)}:${r.text}`);
}
const shared = async (p: Person, group: string, names: Map<string, string>) =>
  (await p.store.messages(group))
    .filter((r) => r.kind === 'text')
    .sort((a, b) => a.lamport - b.lamport || (a.sender < b.sender ? -1 : 1) || a.seq - b.seq)
    .map((r) => `${names.get(r.sender)}:${r.text}`);

/**
 * The story's start: Alice (admin) and her contacts Bob and Carol, who never met; Dave, a contact
 * of Bob's only. Alice makes group `name` with Bob and Carol and everything settles (intros met).
 */
async function story(name: string) {
  const [alice, bob, carol, dave] = (await Promise.all(['Alice', 'Bob', 'Carol', 'Dave'].map(person))) as [
    Person,
    Person,
    Person,
    Person,
  ];
  const everyone = [alice, bob, carol, dave];
  const names = new Map(everyone.map((p) => [p.hex, p.name]));
  link(alice, bob);
  link(alice, carol);
  link(bob, dave);
  const made = await alice.engine.create(name, [
    { key: bob.me.publicKey, name: 'Bob' },
    { key: carol.me.publicKey, name: 'Carol' },
  ]);
  if (!made.ok) throw new Error(made.problem);
  await settle(everyone);
  return { alice, bob, carol, dave, everyone, names, g: made.id };
}

describe('GroupEngine', () => {
  it('create, introduce, chat in one order, add by vouching, remove, leave', async () => {
    const { alice, bob, carol, dave, everyone, names, g } = await story('Book club');
    // Bob and Carol hold the group, were introduced through Alice, and are linked now.
    for (const p of [bob!, carol!]) expect((await p.store.get(g))?.state).toBe('member');
    expect(bob!.linked.has(carol!.hex)).toBe(true);
    expect((await bob!.store.peers()).map((x) => x.name)).toEqual(['Carol']);
    expect((await bob!.store.messages(g)).some((m) => m.notice === 'introduced')).toBe(true);
    // Every hello reached every member.
    for (const p of [alice!, bob!, carol!])
      expect((await p.store.messages(g)).filter((m) => m.kind === 'hello').length).toBe(3);

    await bob!.engine.send(g, 'hi from Bob');
    await carol!.engine.send(g, 'hi from Carol');
    await settle(everyone);
    const order = await shared(alice!, g, names);
    expect(order.sort()).toEqual(['Bob:hi from Bob', 'Carol:hi from Carol']);
    for (const p of [bob!, carol!]) expect(await shared(p, g, names)).toEqual(await shared(alice!, g, names));

    // Bob adds Dave, a contact of his only: vouch → Alice → list g2 → Bob forwards → Dave's intros.
    expect(await bob!.engine.add(g, { key: dave!.me.publicKey, name: 'Dave' })).toMatchObject({ ok: true });
    await settle(everyone);
    expect(
      heldOf((await alice!.store.get(g))!)
        .list.members.map((m) => m.name)
        .sort(),
    ).toEqual(['Alice', 'Bob', 'Carol', 'Dave']);
    expect((await dave!.store.get(g))?.state).toBe('member');
    expect(dave!.linked.has(alice!.hex) && dave!.linked.has(carol!.hex)).toBe(true);
    for (const p of [alice!, bob!, carol!])
      expect((await p.store.messages(g)).some((m) => m.kind === 'hello' && m.sender === dave!.hex)).toBe(true);

    // Alice offline: Bob and Carol keep chatting; Alice gets it when back.
    alice!.online = false;
    await bob!.engine.send(g, 'while Alice is away');
    await settle(everyone);
    expect(await texts(carol!, g)).toContain(`${bob!.hex.slice(0, 4)}:while Alice is away`);
    alice!.online = true;
    await settle(everyone);
    expect(await texts(alice!, g)).toContain(`${bob!.hex.slice(0, 4)}:while Alice is away`);

    // Alice removes Carol: Carol sees it, and receives nothing sent after.
    expect(await alice!.engine.remove(g, carol!.hex)).toMatchObject({ ok: true });
    await settle(everyone);
    expect((await carol!.store.get(g))?.state).toBe('removed');
    expect((await carol!.store.messages(g)).some((m) => m.notice === 'you-removed')).toBe(true);
    const before = (await carol!.store.messages(g)).length;
    await bob!.engine.send(g, 'after Carol left');
    await settle(everyone);
    expect((await carol!.store.messages(g)).length).toBe(before);
    expect(await texts(dave!, g)).toContain(`${bob!.hex.slice(0, 4)}:after Carol left`);
    expect(await carol!.engine.send(g, 'still here?')).toMatchObject({ ok: false });

    // Dave leaves: the admin publishes the list without him; the others show "Dave left".
    expect(await dave!.engine.leave(g)).toMatchObject({ ok: true });
    await settle(everyone);
    expect((await dave!.store.get(g))?.state).toBe('left');
    expect(
      heldOf((await bob!.store.get(g))!)
        .list.members.map((m) => m.name)
        .sort(),
    ).toEqual(['Alice', 'Bob']);
    expect((await bob!.store.messages(g)).filter((m) => m.notice === 'left').map((m) => m.text)).toEqual([
      'Dave left the group.',
    ]);
  });

  it('a list that does not name this device, and a text for an unknown group, leave nothing behind', async () => {
    const [alice, bob, eve] = await Promise.all(['Alice', 'Bob', 'Eve'].map(person));
    link(alice!, bob!);
    link(alice!, eve!);
    const made = await alice!.engine.create('Private', [{ key: bob!.me.publicKey, name: 'Bob' }]);
    if (!made.ok) throw new Error(made.problem);
    const list = (await alice!.store.get(made.id))!.list;
    await eve!.db.database.add('groupInbox', { from: alice!.hex, bytes: list, receivedAt: 0 });
    await eve!.engine.process();
    expect(await eve!.store.list()).toEqual([]);
    expect(await eve!.store.inbox()).toEqual([]);
  });

  it('admin offline: an addition and the introductions it brings wait, the chat says so, and they go out when the admin is back', async () => {
    const { alice, bob, carol, dave, everyone, names, g } = await story('Away');
    const away = async (p: Person, connected: boolean) =>
      adminAway((await p.store.get(g))!, {
        meHex: p.hex,
        connected,
        linked: p.linked,
        nameOf: (hex) => names.get(hex),
      });
    // Everyone introduced, nothing pending: no notice, whether or not the admin is online.
    for (const p of [bob!, carol!]) expect(await away(p, false)).toBeNull();
    expect(await away(alice!, false)).toBeNull(); // the admin waits for nobody

    // Alice goes offline; Bob adds Dave: the vouch waits in Bob's outbox to Alice.
    alice!.online = false;
    expect(await bob!.engine.add(g, { key: dave!.me.publicKey, name: 'Dave' })).toMatchObject({ ok: true });
    await settle(everyone);
    expect((await bob!.store.get(g))!.vouches).toHaveLength(1);
    const waiting = await away(bob!, false);
    expect(waiting).toEqual({ adminName: 'Alice', adding: ['Dave'], introductions: [] });
    expect(adminAwayText(waiting!)).toBe(
      'Waiting for Alice (the admin), who is offline: adding Dave. They go out when Alice is back; members already introduced keep chatting.',
    );
    expect(await away(bob!, true)).toBeNull(); // shown only while the admin has no link
    expect(await away(carol!, false)).toBeNull(); // Carol asked for nothing
    // Bob and Carol keep chatting meanwhile.
    await carol!.engine.send(g, 'while Alice is away');
    await settle(everyone);
    expect(await texts(bob!, g)).toContain(`${carol!.hex.slice(0, 4)}:while Alice is away`);
    expect(await dave!.store.get(g)).toBeUndefined();

    // Alice is back: the addition goes out, Dave is introduced to everyone, nothing waits any more.
    alice!.online = true;
    await settle(everyone);
    expect((await dave!.store.get(g))?.state).toBe('member');
    expect((await bob!.store.get(g))!.vouches).toEqual([]);
    for (const p of [bob!, carol!, dave!]) expect(await away(p, false)).toBeNull();
  });

  it('names members not yet introduced while the admin is away', async () => {
    const [alice, bob, carol] = await Promise.all(['Alice', 'Bob', 'Carol'].map(person));
    link(alice!, bob!);
    link(alice!, carol!);
    const made = await alice!.engine.create('Half', [
      { key: bob!.me.publicKey, name: 'Bob' },
      { key: carol!.me.publicKey, name: 'Carol' },
    ]);
    if (!made.ok) throw new Error(made.problem);
    // Carol is offline while Bob gets the list; then Alice goes, before Bob and Carol were introduced.
    carol!.online = false;
    await settle([alice!, bob!, carol!]);
    alice!.online = false;
    carol!.online = true;
    await settle([alice!, bob!, carol!]);
    const rec = (await bob!.store.get(made.id))!;
    const a = adminAway(rec, { meHex: bob!.hex, connected: false, linked: bob!.linked, nameOf: () => undefined });
    expect(a).toEqual({ adminName: 'Alice', adding: [], introductions: ['Carol'] });
    expect(adminAwayText(a!)).toMatch(/^Waiting for Alice \(the admin\), who is offline: introductions to Carol\./);
  });

  it('a member who missed a list gets it from a member who hears an older generation from them, once per generation', async () => {
    const [alice, bob, carol, dave] = await Promise.all(['Alice', 'Bob', 'Carol', 'Dave'].map(person));
    const everyone = [alice!, bob!, carol!, dave!];
    link(alice!, bob!);
    link(alice!, carol!);
    link(alice!, dave!);
    const made = await alice!.engine.create('Relay', [
      { key: bob!.me.publicKey, name: 'Bob' },
      { key: carol!.me.publicKey, name: 'Carol' },
    ]);
    if (!made.ok) throw new Error(made.problem);
    const g = made.id;
    await settle(everyone);
    expect(bob!.linked.has(carol!.hex)).toBe(true);
    const generation = async (p: Person) => heldOf((await p.store.get(g))!).list.generation;

    // Carol is offline while Alice adds Dave; then Alice is gone before Carol is back.
    carol!.online = false;
    expect(await alice!.engine.add(g, { key: dave!.me.publicKey, name: 'Dave' })).toMatchObject({ ok: true });
    await settle(everyone);
    alice!.online = false;
    carol!.online = true;
    expect(await generation(bob!)).toBe(2);
    expect(await generation(carol!)).toBe(1);
    // Count the lists Bob queues for Carol.
    const list2 = (await bob!.store.get(g))!.list;
    let toCarol = 0;
    const commit = bob!.store.commit.bind(bob!.store);
    bob!.store.commit = (c) => {
      for (const o of c.outgoing ?? [])
        if (o.to === carol!.hex && 'bytes' in o && bytesToHex(o.bytes) === bytesToHex(list2)) toCarol++;
      return commit(c);
    };

    // Carol writes under generation 1; Bob passes his list on; Carol holds generation 2 now.
    await carol!.engine.send(g, 'back again');
    await carol!.engine.send(g, 'and again');
    await settle(everyone);
    expect(await generation(carol!)).toBe(2);
    expect((await carol!.store.messages(g)).some((m) => m.text === 'Dave joined the group.')).toBe(true);
    expect(toCarol).toBe(1);
    // Carol, now on generation 2, sends again: nothing more is forwarded.
    await carol!.engine.send(g, 'third');
    await settle(everyone);
    expect(toCarol).toBe(1);
    expect((await bob!.store.get(g))!.listForwarded).toEqual({ [carol!.hex]: 2 });
  });

  it('group files: a member’s request starts one transfer; a removed member’s, a repeat, or one for a dropped offer do not', async () => {
    const { alice, bob, carol, everyone, g } = await story('Files');
    const file = new File(['minutes of the meeting'], 'minutes.txt', { type: 'text/plain' });
    const described = await describeFiles([file]);
    const offered = await alice!.engine.offerFiles(g, described);
    if (!offered.ok) throw new Error(offered.problem);
    alice!.shelf.keep(g, offered.id, [file]);
    await settle(everyone);
    const rowOf = async (p: Person) => (await p.store.messages(g)).find((m) => m.kind === 'file-offer')!;
    const bobRow = await rowOf(bob!);
    expect(bobRow.offer).toEqual({
      id: offered.id,
      files: [{ ...described[0], sha256: bytesToHex(described[0]!.sha256) }],
    });

    // Bob accepts: his request reaches Alice, who starts one transfer of the file to him.
    expect(await bob!.engine.requestFile(g, bobRow.id)).toMatchObject({ ok: true });
    expect((await rowOf(bob!)).answer).toBe('requested');
    await settle(everyone);
    expect(alice!.served).toEqual([{ offerId: offered.id, member: bob!.hex, files: ['minutes.txt'] }]);
    // The same request again (a replay, or a second click) starts nothing more.
    await alice!.db.database.add('groupInbox', {
      from: bob!.hex,
      bytes: groupFileRequest(hexToBytes(g), hexToBytes(offered.id)),
      receivedAt: 0,
    });
    await settle(everyone);
    expect(alice!.served).toHaveLength(1);

    // Carol is removed; her request for the offer she saw earlier gets no file and no answer.
    const carolRow = await rowOf(carol!);
    expect(await alice!.engine.remove(g, carol!.hex)).toMatchObject({ ok: true });
    await settle(everyone);
    await alice!.db.database.add('groupInbox', {
      from: carol!.hex,
      bytes: groupFileRequest(hexToBytes(g), hexToBytes(carolRow.offer!.id)),
      receivedAt: 0,
    });
    await settle(everyone);
    expect(alice!.served).toHaveLength(1);
    expect(await alice!.store.inbox()).toEqual([]);

    // An offer Alice's page no longer holds (a reload): Bob's request is refused with file-gone —
    // but only Alice can say so: the same refusal from Carol, sent first, changes nothing.
    const again = await alice!.engine.offerFiles(g, described);
    if (!again.ok) throw new Error(again.problem);
    await settle(everyone);
    const second = (await bob!.store.messages(g)).find((m) => m.offer?.id === again.id)!;
    alice!.online = false;
    await bob!.engine.requestFile(g, second.id);
    await bob!.db.database.add('groupInbox', {
      from: carol!.hex,
      bytes: groupFileGone(hexToBytes(g), hexToBytes(again.id)),
      receivedAt: 0,
    });
    await bob!.engine.process();
    expect((await bob!.store.message(g, second.id))?.answer).toBe('requested');
    alice!.online = true;
    await settle(everyone);
    expect(alice!.served).toHaveLength(1);
    expect((await bob!.store.message(g, second.id))?.answer).toBe('gone');
  });
});
