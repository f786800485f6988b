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
import { timelineOrder } from '../../src/app/group-step';
import { linkFixture } from '../support/link-fixture';
import { connectMembers, disconnect, groupMember, until, type GroupMember } from '../support/group-members';

const fx = linkFixture();
type Member = GroupMember;
const connect = (a: Member, b: Member) => connectMembers(a, b, (...l) => fx.track(...l));

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
    for (const name of ['Alice', 'Bob', 'Carol', 'Dave', 'Erin'])
      all.push(await groupMember(name, await fx.signaling(), () => all));
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
    await disconnect(erin);
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
    await Promise.all(all.map(disconnect));
  }, 240_000);
});
