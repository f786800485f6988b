/** The group and its admin-signed member list (docs/groups.md §3). */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { acceptList, createGroup, findMember, groupIdOf, nextList, type SignedList } from '../../src/core/group';
import { signGroup, verifyGroupSignature } from '../../src/core/group-signed';
import { MAX_GROUP_MEMBERS } from '../../src/core/group-wire';
import { cast, hex, person, seededRandom } from './group-helpers';

function accepted(held: SignedList | null, bytes: Uint8Array, expectId?: Uint8Array) {
  const r = acceptList(held, bytes, { expectId });
  if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
  return r;
}

describe('group: create (docs/groups.md §3.1)', () => {
  it('the id commits to the admin key and salt: SHA-256("parley/group-id/1" ‖ admin ‖ salt)', () => {
    const { alice, group } = cast();
    const l = group.list;
    const expected = createHash('sha256').update('parley/group-id/1').update(alice.publicKey).update(l.salt).digest();
    expect(hex(l.group)).toBe(expected.toString('hex'));
    expect(hex(groupIdOf(l.admin, l.salt))).toBe(hex(l.group));
  });

  it('generation 1, the admin and the chosen members with since 1, sorted by key, signed by the admin', () => {
    const { alice, bob, carol, group } = cast();
    const l = group.list;
    expect(l.generation).toBe(1);
    expect(l.name).toBe('Book club');
    expect(l.members.map((m) => hex(m.key))).toEqual([alice, bob, carol].map((p) => hex(p.publicKey)).sort());
    expect(l.members.every((m) => m.since === 1)).toBe(true);
    expect(findMember(l, bob.publicKey)?.name).toBe('Bob');
    expect(verifyGroupSignature(l)).toBe(true);
  });

  it('two groups by the same admin get different ids', () => {
    const a = person('two/alice');
    const make = (label: string) =>
      createGroup({ admin: a, adminName: 'A', name: 'G', members: [], random: seededRandom(label) }).list.group;
    expect(hex(make('one'))).not.toBe(hex(make('two')));
  });

  it('cleans names and throws on bad arguments, naming them', () => {
    const { alice, bob } = cast();
    const random = seededRandom('args');
    const base = { admin: alice, adminName: 'Alice', name: 'G', members: [], random };
    expect(createGroup({ ...base, name: '  Book\u0007  club ' }).list.name).toBe('Book club');
    expect(() => createGroup({ ...base, name: '\u0007' })).toThrow(/^name:/);
    expect(() => createGroup({ ...base, members: [{ key: new Uint8Array(32), name: 'Zero' }] })).toThrow(
      /members\[0\]\.key/,
    );
    expect(() =>
      createGroup({
        ...base,
        members: [
          { key: bob.publicKey, name: 'Bob' },
          { key: bob.publicKey, name: 'Bob again' },
        ],
      }),
    ).toThrow(/twice/);
    expect(() => createGroup({ ...base, members: [{ key: alice.publicKey, name: 'Me' }] })).toThrow(/twice/);
    const many = Array.from({ length: MAX_GROUP_MEMBERS }, (_, i) => ({
      key: person(`many/${i}`).publicKey,
      name: `P${i}`,
    }));
    expect(() => createGroup({ ...base, members: many })).toThrow(/at most 50/);
    expect(createGroup({ ...base, members: many.slice(1) }).list.members).toHaveLength(MAX_GROUP_MEMBERS);
  });
});

describe('group: accepting lists (docs/groups.md §3.2)', () => {
  it('a member accepts the first list, then each next one; the changes say who came, left and was renamed', () => {
    const { alice, bob, carol, dave, group } = cast();
    const first = accepted(null, group.bytes);
    expect(first.changes.added).toHaveLength(3);
    const g2 = nextList(group, alice, { add: [{ key: dave.publicKey, name: 'Dave' }], lamport: 5 });
    const second = accepted(first.held, g2.bytes);
    expect(second.changes.added.map((m) => m.name)).toEqual(['Dave']);
    expect(second.changes.added[0]!.since).toBe(2);
    expect(second.held.list.lamport).toBe(5);
    const g3 = nextList(g2, alice, { remove: [carol.publicKey], rename: 'Books', lamport: 6 });
    const third = accepted(second.held, g3.bytes);
    expect(third.changes.removed.map((m) => m.name)).toEqual(['Carol']);
    expect(third.changes.groupName).toEqual({ from: 'Book club', to: 'Books' });
    expect(findMember(third.held.list, bob.publicKey)).toBeDefined();
  });

  it('a removed and re-added member shows as removed and added (a new membership, a new since)', () => {
    const { alice, carol, group } = cast();
    const g2 = nextList(group, alice, { remove: [carol.publicKey], lamport: 2 });
    const g3 = nextList(g2, alice, { add: [{ key: carol.publicKey, name: 'Carol' }], lamport: 3 });
    const r = accepted(group, g3.bytes);
    expect(r.changes.removed.map((m) => m.since)).toEqual([1]);
    expect(r.changes.added.map((m) => m.since)).toEqual([3]);
  });

  it('a first list must have the expected id when one is expected (a group invite names it)', () => {
    const { group } = cast();
    expect(acceptList(null, group.bytes, { expectId: new Uint8Array(32) })).toMatchObject({
      ok: false,
      code: 'GROUP_LIST_WRONG_GROUP',
    });
    expect(accepted(null, group.bytes, group.list.group).held.list.generation).toBe(1);
  });

  it('nextList throws for a non-admin, removing the admin, adding a member twice, or past 50', () => {
    const { alice, bob, dave, group } = cast();
    expect(() => nextList(group, bob, { lamport: 2 })).toThrow(/^admin:/);
    expect(() => nextList(group, alice, { remove: [alice.publicKey], lamport: 2 })).toThrow(/admin cannot be removed/);
    expect(() => nextList(group, alice, { remove: [dave.publicKey], lamport: 2 })).toThrow(/not a member/);
    expect(() => nextList(group, alice, { add: [{ key: bob.publicKey, name: 'B' }], lamport: 2 })).toThrow(/already/);
    const add = Array.from({ length: MAX_GROUP_MEMBERS - 2 }, (_, i) => ({
      key: person(`fill/${i}`).publicKey,
      name: `F${i}`,
    }));
    expect(() => nextList(group, alice, { add, lamport: 2 })).toThrow(/at most 50/);
  });

  it('a signature over another label does not verify (domain separation between signed types)', () => {
    const { bob, group } = cast();
    const leave = signGroup({ type: 'leave', group: group.list.group, member: bob.publicKey, generation: 1 }, bob);
    expect(verifyGroupSignature(leave)).toBe(true);
    expect(verifyGroupSignature({ ...leave, generation: 2 })).toBe(false);
    expect(() =>
      signGroup({ type: 'leave', group: group.list.group, member: bob.publicKey, generation: 1 }, person('x')),
    ).toThrow(/signer/);
  });
});

describe('group: lists over an unreliable path (property)', () => {
  it('whatever order a member gets the lists of the admin in, it ends on the newest, refusing each older one as rolled back', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }), fc.func(fc.integer()), (ops, shuffleKey) => {
        const { alice, group } = cast('prop');
        const lists: SignedList[] = [group];
        ops.forEach((add, i) => {
          const cur = lists.at(-1)!;
          const others = cur.list.members.filter((m) => hex(m.key) !== hex(alice.publicKey));
          const change =
            add || others.length === 0
              ? { add: [{ key: person(`prop/${i}`).publicKey, name: `N${i}` }], lamport: i + 2 }
              : { remove: [others[0]!.key], lamport: i + 2 };
          lists.push(nextList(cur, alice, change));
        });
        const order = lists.map((l, i) => ({ l, k: shuffleKey(i) })).sort((a, b) => a.k - b.k);
        let held: SignedList | null = null;
        for (const { l } of order) {
          const r = acceptList(held, l.bytes);
          if (r.ok) {
            expect(l.list.generation).toBeGreaterThan(held?.list.generation ?? 0);
            held = r.held;
          } else {
            expect(r.code).toBe(
              l.list.generation === held!.list.generation ? 'GROUP_LIST_REPLAYED' : 'GROUP_LIST_ROLLED_BACK',
            );
          }
        }
        expect(held!.list.generation).toBe(lists.length);
        expect(hex(held!.bytes)).toBe(hex(lists.at(-1)!.bytes));
      }),
      { numRuns: 60 },
    );
  });
});
