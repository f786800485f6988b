/** Ordering: Lamport clocks, per-sender seqs, gaps, and one order on every member (docs/groups.md §6). */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createGroup, nextList, type SignedList } from '../../src/core/group';
import {
  compareGroupOrder,
  composeGroupMessage,
  listNoticeStamp,
  tickClock,
  MAX_SEEN_RANGES,
  MAX_TRACKED_EPOCHS,
  observeList,
  receiveGroupMessage,
  sortTimeline,
  startTimeline,
  type GroupTimeline,
  type OrderedGroupMessage,
} from '../../src/core/group-order';
import { encodeGroup, MAX_GROUP_TEXT_BYTES } from '../../src/core/group-wire';
import type { Identity } from '../../src/core/identity';
import { cast, hex, person, seededRandom } from './group-helpers';

const NOW = 1_800_000_000_000;
const idOf = (m: OrderedGroupMessage) => `${hex(m.sender)}/${hex(m.epoch)}/${m.seq}`;

function received(t: GroupTimeline, held: SignedList, me: Identity, bytes: Uint8Array, from: Identity) {
  const r = receiveGroupMessage(t, { held, me: me.publicKey, bytes, from: from.publicKey });
  if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
  return r;
}

describe('group order: stamps and clocks (docs/groups.md §6.1)', () => {
  it('the hello is seq 1 and only the first message; each message counts the clock up by one', () => {
    const { bob, group } = cast();
    let t = startTimeline(seededRandom('t'), group);
    expect(t.lamport).toBe(group.list.lamport);
    const text = { type: 'text' as const, text: 'hi' };
    expect(() => composeGroupMessage(t, { me: bob.publicKey, held: group, body: text, now: NOW })).toThrow(/hello/);
    const h = composeGroupMessage(t, {
      me: bob.publicKey,
      held: group,
      body: { type: 'hello', name: 'Bob' },
      now: NOW,
    });
    expect(h.message).toMatchObject({ type: 'hello', seq: 1, lamport: group.list.lamport + 1, generation: 1 });
    t = h.timeline;
    expect(() =>
      composeGroupMessage(t, { me: bob.publicKey, held: group, body: { type: 'hello', name: 'B' }, now: NOW }),
    ).toThrow(/hello/);
    const m = composeGroupMessage(t, { me: bob.publicKey, held: group, body: text, now: NOW });
    expect(m.message).toMatchObject({ seq: 2, lamport: group.list.lamport + 2 });
    expect(() =>
      composeGroupMessage(m.timeline, {
        me: bob.publicKey,
        held: group,
        body: { type: 'text', text: 'x'.repeat(MAX_GROUP_TEXT_BYTES + 1) },
        now: NOW,
      }),
    ).toThrow(/at most/);
  });

  it('receiving raises the clock; the next message sent is stamped above everything seen; a list raises it too', () => {
    const { alice, bob, carol, group } = cast();
    let b = startTimeline(seededRandom('b'), group);
    let c = startTimeline(seededRandom('c'), group);
    for (let i = 0; i < 5; i++) {
      const body = i === 0 ? ({ type: 'hello', name: 'Bob' } as const) : ({ type: 'text', text: `${i}` } as const);
      const sent = composeGroupMessage(b, { me: bob.publicKey, held: group, body, now: NOW });
      b = sent.timeline;
      c = received(c, group, carol, sent.bytes, bob).timeline;
    }
    expect(c.lamport).toBe(b.lamport);
    const reply = composeGroupMessage(c, {
      me: carol.publicKey,
      held: group,
      body: { type: 'hello', name: 'C' },
      now: NOW,
    });
    expect(reply.message.lamport).toBe(b.lamport + 1);
    const g2 = nextList(group, alice, { rename: 'R', lamport: 100 });
    expect(observeList(c, g2).lamport).toBe(100);
    expect(observeList({ ...c, lamport: 200 }, g2).lamport).toBe(200);
  });

  it('the admin counts a list it signs; its notice sorts at the list stamp, before the messages that saw it', () => {
    const { alice, carol, group } = cast();
    let a = startTimeline(seededRandom('a'), group);
    a = composeGroupMessage(a, {
      me: alice.publicKey,
      held: group,
      body: { type: 'hello', name: 'A' },
      now: NOW,
    }).timeline;
    const tick = tickClock(a);
    expect(tick.lamport).toBe(a.lamport + 1);
    const g2 = nextList(group, alice, { rename: 'R', lamport: tick.lamport });
    const after = composeGroupMessage(tick.timeline, {
      me: alice.publicKey,
      held: g2,
      body: { type: 'text', text: 'renamed' },
      now: NOW,
    });
    expect(after.message.lamport).toBe(tick.lamport + 1);
    let c = observeList(startTimeline(seededRandom('c'), group), g2);
    const bobSaw = composeGroupMessage(c, {
      me: carol.publicKey,
      held: g2,
      body: { type: 'hello', name: 'C' },
      now: NOW,
    });
    c = bobSaw.timeline;
    const notice = listNoticeStamp(g2);
    expect(sortTimeline([after.message, bobSaw.message, notice])[0]).toBe(notice);
    expect(hex(notice.sender)).toBe(hex(alice.publicKey));
  });

  it('a removed member cannot compose (a programmer mistake)', () => {
    const { alice, carol, group } = cast();
    const g2 = nextList(group, alice, { remove: [carol.publicKey], lamport: 2 });
    expect(() =>
      composeGroupMessage(startTimeline(seededRandom('x'), g2), {
        me: carol.publicKey,
        held: g2,
        body: { type: 'hello', name: 'C' },
        now: NOW,
      }),
    ).toThrow(/removed members send nothing/);
  });
});

describe('group order: duplicates and gaps (docs/groups.md §6.3)', () => {
  const stream = () => {
    const { bob, carol, group } = cast('gaps');
    let t = startTimeline(seededRandom('bob'), group);
    const out: Uint8Array[] = [];
    for (let i = 1; i <= 10; i++) {
      const body = i === 1 ? ({ type: 'hello', name: 'Bob' } as const) : ({ type: 'text', text: `m${i}` } as const);
      const m = composeGroupMessage(t, { me: bob.publicKey, held: group, body, now: NOW });
      t = m.timeline;
      out.push(m.bytes);
    }
    return { bob, carol, group, out };
  };

  it('a missing seq shows as a gap until it arrives; a repeat is a duplicate and changes nothing', () => {
    const { bob, carol, group, out } = stream();
    let t = startTimeline(seededRandom('carol'), group);
    const feed = (i: number) => {
      const r = received(t, group, carol, out[i - 1]!, bob);
      t = r.timeline;
      return r;
    };
    expect(feed(1).missing).toEqual([]);
    expect(feed(2).missing).toEqual([]);
    expect(feed(5).missing).toEqual([[3, 4]]);
    expect(feed(9).missing).toEqual([
      [3, 4],
      [6, 8],
    ]);
    expect(feed(4).missing).toEqual([
      [3, 3],
      [6, 8],
    ]);
    const before = t;
    const dup = feed(2);
    expect(dup.duplicate).toBe(true);
    expect(dup.timeline.senders).toEqual(before.senders);
    for (const i of [3, 6, 7, 8, 10]) feed(i);
    expect(t.senders).toEqual([expect.objectContaining({ seen: [[1, 10]] })]);
  });

  it('a member who joins late sees no gap below the first message it gets', () => {
    const { bob, carol, group, out } = stream();
    const r = received(startTimeline(seededRandom('late'), group), group, carol, out[6]!, bob);
    expect(r.missing).toEqual([]);
    expect(received(r.timeline, group, carol, out[8]!, bob).missing).toEqual([[8, 8]]);
  });

  it(`more than ${MAX_SEEN_RANGES} holes from one sender: TOO_FAR, nothing kept`, () => {
    const { bob, carol, group } = cast('holes');
    let t = startTimeline(seededRandom('holes'), group);
    const make = (seq: number) =>
      encodeGroup({
        type: 'text',
        group: group.list.group,
        sender: bob.publicKey,
        epoch: new Uint8Array(8),
        generation: 1,
        seq,
        lamport: 2,
        sentAt: NOW,
        text: '',
      });
    for (let i = 0; i < MAX_SEEN_RANGES; i++) t = received(t, group, carol, make(2 + 2 * i), bob).timeline;
    const r = receiveGroupMessage(t, {
      held: group,
      me: carol.publicKey,
      bytes: make(2 + 2 * MAX_SEEN_RANGES),
      from: bob.publicKey,
    });
    expect(r).toMatchObject({ ok: false, code: 'GROUP_MSG_TOO_FAR' });
    expect(received(t, group, carol, make(3), bob).missing).toHaveLength(MAX_SEEN_RANGES - 2);
  });

  it(`at most ${MAX_TRACKED_EPOCHS} sender epochs are tracked; the least recently heard goes first`, () => {
    const { bob, carol, group } = cast('epochs');
    let t = startTimeline(seededRandom('epochs'), group);
    for (let i = 0; i <= MAX_TRACKED_EPOCHS; i++) {
      const epoch = Uint8Array.of(0, 0, 0, 0, 0, 0, i >> 8, i & 255);
      const bytes = encodeGroup({
        type: 'text',
        group: group.list.group,
        sender: bob.publicKey,
        epoch,
        generation: 1,
        seq: 2,
        lamport: 2 + i,
        sentAt: NOW,
        text: '',
      });
      t = received(t, group, carol, bytes, bob).timeline;
    }
    expect(t.senders).toHaveLength(MAX_TRACKED_EPOCHS);
    expect(t.senders.some((s) => s.epoch === '0000000000000000')).toBe(false);
  });
});

describe('group order: every member shows the same order (property, docs/groups.md §6.1)', () => {
  const members = ['a', 'b', 'c', 'd', 'e'].map((l) => person(`order/${l}`));
  const group = createGroup({
    admin: members[0]!,
    adminName: 'A',
    name: 'Order',
    members: members.slice(1).map((m, i) => ({ key: m.publicKey, name: `M${i}` })),
    random: seededRandom('order'),
  });
  type Copy = { bytes: Uint8Array; from: number; to: number };

  it('any interleaving of sends and deliveries: the same order everywhere, causality kept, clocks right', () => {
    const op = fc.oneof(
      fc.record({ send: fc.nat(members.length - 1) }),
      fc.record({ deliver: fc.nat() }),
      fc.record({ repeat: fc.nat() }),
    );
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 80 }),
        fc.array(fc.nat(), { minLength: 200, maxLength: 200 }),
        (ops, tail) => {
          const tl = members.map((_, i) => startTimeline(seededRandom(`order/t${i}`), group));
          const got = members.map(() => new Map<string, OrderedGroupMessage>());
          const seenBefore = new Map<string, Set<string>>();
          const flight: Copy[] = [];
          const done: Copy[] = [];
          const send = (i: number) => {
            const before = new Set(got[i]!.keys());
            const body =
              tl[i]!.nextSeq === 1
                ? ({ type: 'hello', name: `M${i}` } as const)
                : ({ type: 'text', text: `${i}:${tl[i]!.nextSeq}` } as const);
            const maxSeen = Math.max(0, ...[...got[i]!.values()].map((m) => m.lamport));
            const m = composeGroupMessage(tl[i]!, { me: members[i]!.publicKey, held: group, body, now: NOW });
            expect(m.message.lamport).toBeGreaterThan(maxSeen);
            tl[i] = m.timeline;
            got[i]!.set(idOf(m.message), m.message);
            seenBefore.set(idOf(m.message), before);
            members.forEach((_, to) => to !== i && flight.push({ bytes: m.bytes, from: i, to }));
          };
          const deliver = (c: Copy) => {
            const r = received(tl[c.to]!, group, members[c.to]!, c.bytes, members[c.from]!);
            expect(r.duplicate).toBe(got[c.to]!.has(idOf(r.message)));
            tl[c.to] = r.timeline;
            got[c.to]!.set(idOf(r.message), r.message);
          };
          for (const o of ops) {
            if ('send' in o) send(o.send);
            else if ('deliver' in o && flight.length) {
              const [c] = flight.splice(o.deliver % flight.length, 1);
              deliver(c!);
              done.push(c!);
            } else if ('repeat' in o && done.length) deliver(done[o.repeat % done.length]!);
          }
          let k = 0;
          while (flight.length) deliver(flight.splice(tail[k++ % tail.length]! % flight.length, 1)[0]!);

          const orders = got.map((g) => sortTimeline([...g.values()]).map(idOf));
          for (const o of orders) expect(o).toEqual(orders[0]);
          const all = sortTimeline([...got[0]!.values()]);
          all.forEach((m, i) => {
            for (const earlier of seenBefore.get(idOf(m)) ?? [])
              expect(all.findIndex((x) => idOf(x) === earlier)).toBeLessThan(i);
          });
          for (let i = 0; i < members.length; i++) {
            expect(tl[i]!.lamport).toBe(Math.max(group.list.lamport, ...all.map((m) => m.lamport)));
            for (const s of tl[i]!.senders) expect(s.seen).toHaveLength(1);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('sorting is independent of input order, and a strict total order on distinct messages (property)', () => {
    const arb = fc.uniqueArray(
      fc.record({
        sender: fc.constantFrom(...members.map((m) => m.publicKey)),
        epoch: fc.constantFrom(new Uint8Array(8), new Uint8Array(8).fill(1)),
        generation: fc.constant(1),
        seq: fc.integer({ min: 1, max: 20 }),
        lamport: fc.integer({ min: 1, max: 10 }),
        sentAt: fc.nat(),
      }),
      { selector: (s) => `${hex(s.sender)}/${hex(s.epoch)}/${s.seq}`, maxLength: 40 },
    );
    fc.assert(
      fc.property(arb, fc.func(fc.integer()), (msgs, key) => {
        const shuffled = msgs
          .map((m, i) => ({ m, k: key(i) }))
          .sort((a, b) => a.k - b.k)
          .map((x) => x.m);
        expect(sortTimeline(shuffled)).toEqual(sortTimeline(msgs));
        const s = sortTimeline(msgs);
        for (let i = 1; i < s.length; i++) expect(compareGroupOrder(s[i - 1]!, s[i]!)).toBeLessThan(0);
      }),
    );
  });
});
