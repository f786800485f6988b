/**
 * Attacks on the member list, vouching and leaving (docs/groups.md §3, §4, §8): each test plays
 * the attacker against the real protocol code and shows the attack fails with its typed refusal.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ed25519 } from '@noble/curves/ed25519.js';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { acceptList, createGroup, groupIdOf, nextList, type SignedList } from '../../src/core/group';
import { signGroup } from '../../src/core/group-signed';
import {
  answerRefusal,
  checkLeave,
  checkVouch,
  decideVouch,
  makeLeave,
  makeVouch,
  VOUCH_TTL_MS,
} from '../../src/core/group-join';
import { emptyLedger } from '../../src/core/group-ledger';
import { decodeGroup, encodeGroup, encodeGroupUnsigned, MAX_GROUP_MEMBERS } from '../../src/core/group-wire';
import { cast, hex, person, seededRandom } from './group-helpers';

const NOW = 1_800_000_000_000;

describe('attacks on the member list (docs/groups.md §3.2)', () => {
  it('an outsider publishes a list for the group naming itself admin: the id does not commit to its key (FORGED)', () => {
    const { eve, group } = cast();
    const fake = signGroup(
      {
        ...group.list,
        admin: eve.publicKey,
        members: [...group.list.members, { key: eve.publicKey, name: 'Eve', since: 2 }].sort((a, b) =>
          Buffer.compare(a.key, b.key),
        ),
        generation: 2,
      },
      eve,
    );
    expect(acceptList(group, encodeGroup(fake))).toMatchObject({
      ok: false,
      code: 'GROUP_LIST_FORGED',
      step: 'group list: id',
    });
    // The same forgery as somebody's first list: the commitment still gives it away.
    expect(acceptList(null, encodeGroup(fake))).toMatchObject({ ok: false, code: 'GROUP_LIST_FORGED' });
  });

  it('a member signs a list in the admin’s name (another signer): FORGED at the signature', () => {
    const { bob, dave, group } = cast();
    const unsigned = {
      ...group.list,
      generation: 2,
      members: [...group.list.members, { key: dave.publicKey, name: 'Dave', since: 2 }].sort((a, b) =>
        Buffer.compare(a.key, b.key),
      ),
    };
    const sig = ed25519.sign(
      concatBytes(utf8ToBytes('parley/group/list/1'), encodeGroupUnsigned(unsigned)),
      bob.secretKey.subarray(0, 32),
    );
    const bytes = encodeGroup({ ...unsigned, signature: sig });
    expect(acceptList(group, bytes)).toMatchObject({
      ok: false,
      code: 'GROUP_LIST_FORGED',
      step: 'group list: signature',
    });
  });

  it('a relay rewrites a signed list (adds a member, keeps the signature): FORGED', () => {
    const { alice, eve, group } = cast();
    const g2 = nextList(group, alice, { rename: 'Book club 2', lamport: 2 });
    const tampered = {
      ...g2.list,
      members: [...g2.list.members, { key: eve.publicKey, name: 'Eve', since: 2 }].sort((a, b) =>
        Buffer.compare(a.key, b.key),
      ),
    };
    expect(acceptList(group, encodeGroup(tampered))).toMatchObject({ ok: false, code: 'GROUP_LIST_FORGED' });
  });

  it('no single flipped bit of a signed list is accepted (property)', () => {
    const { alice, group } = cast('flip');
    const g2 = nextList(group, alice, { rename: 'Renamed', lamport: 4 });
    fc.assert(
      fc.property(fc.nat(g2.bytes.length * 8 - 1), (bit) => {
        const bytes = g2.bytes.slice();
        bytes[bit >> 3]! ^= 1 << (bit & 7);
        const r = acceptList(group, bytes);
        expect(r.ok).toBe(false);
        if (!r.ok)
          expect([
            'GROUP_LIST_FORGED',
            'GROUP_LIST_MALFORMED',
            'GROUP_LIST_WRONG_GROUP',
            'GROUP_LIST_TOO_MANY_MEMBERS',
          ]).toContain(r.code);
      }),
      { numRuns: 400 },
    );
  });

  it('a replayed list is REPLAYED, an older one ROLLED_BACK; neither changes what is held', () => {
    const { alice, carol, group } = cast();
    const g2 = nextList(group, alice, { remove: [carol.publicKey], lamport: 2 });
    const held = acceptList(group, g2.bytes);
    if (!held.ok) throw new Error(held.message);
    // Carol, removed, replays generation 1 (where she is a member) to Bob.
    expect(acceptList(held.held, group.bytes)).toMatchObject({ ok: false, code: 'GROUP_LIST_ROLLED_BACK' });
    expect(acceptList(held.held, g2.bytes)).toMatchObject({ ok: false, code: 'GROUP_LIST_REPLAYED' });
    expect(hex(held.held.bytes)).toBe(hex(g2.bytes));
  });

  it('an admin that signs two lists for one generation is caught (CONFLICT), the first kept', () => {
    const { alice, carol, group } = cast();
    const a = nextList(group, alice, { remove: [carol.publicKey], lamport: 2 });
    const b = nextList(group, alice, { rename: 'Fork', lamport: 2 });
    const held = acceptList(group, a.bytes);
    if (!held.ok) throw new Error(held.message);
    expect(acceptList(held.held, b.bytes)).toMatchObject({ ok: false, code: 'GROUP_LIST_CONFLICT' });
  });

  it('a valid list of another group is refused as WRONG_GROUP', () => {
    const { alice, group } = cast();
    const other = createGroup({
      admin: alice,
      adminName: 'A',
      name: 'Other',
      members: [],
      random: seededRandom('other'),
    });
    const next = nextList(other, alice, { rename: 'Other 2', lamport: 9 });
    expect(acceptList(group, next.bytes)).toMatchObject({ ok: false, code: 'GROUP_LIST_WRONG_GROUP' });
  });

  it('a small-order admin key with the all-zero forgery (valid under ZIP-215) is FORGED', () => {
    const identity = Uint8Array.of(1, ...new Uint8Array(31)); // the neutral point: small order
    const salt = new Uint8Array(32).fill(5);
    const unsigned = {
      type: 'list' as const,
      group: groupIdOf(identity, salt),
      admin: identity,
      salt,
      generation: 1,
      lamport: 1,
      name: 'Trap',
      members: [{ key: identity, name: 'Admin', since: 1 }],
    };
    const signature = concatBytes(identity, new Uint8Array(32)); // R = neutral point, S = 0
    const message = concatBytes(utf8ToBytes('parley/group/list/1'), encodeGroupUnsigned(unsigned));
    expect(ed25519.verify(signature, message, identity)).toBe(true); // noble's default (ZIP-215) accepts it
    expect(acceptList(null, encodeGroup({ ...unsigned, signature }))).toMatchObject({
      ok: false,
      code: 'GROUP_LIST_FORGED',
    });
  });

  it('a malleated signature (S + L) is refused', () => {
    const { alice, group } = cast();
    const g2 = nextList(group, alice, { rename: 'Mall', lamport: 2 });
    const s = BigInt('0x' + Buffer.from(g2.list.signature.subarray(32)).reverse().toString('hex'));
    const L = ed25519.Point.Fn.ORDER;
    const sl = Buffer.from((s + L).toString(16).padStart(64, '0'), 'hex').reverse();
    const signature = concatBytes(g2.list.signature.subarray(0, 32), sl);
    expect(acceptList(group, encodeGroup({ ...g2.list, signature }))).toMatchObject({
      ok: false,
      code: 'GROUP_LIST_FORGED',
    });
  });

  it('a list of 51 members is TOO_MANY_MEMBERS before any signature is checked', () => {
    const { group } = cast();
    const bytes = group.bytes.slice(0, group.bytes.length - 64);
    const countAt = 2 + 32 + 32 + 32 + 4 + 6 + 1 + Buffer.byteLength(group.list.name);
    bytes[countAt] = MAX_GROUP_MEMBERS + 1;
    expect(acceptList(group, concatBytes(bytes, new Uint8Array(64)))).toMatchObject({
      ok: false,
      code: 'GROUP_LIST_TOO_MANY_MEMBERS',
    });
  });
});

describe('attacks on vouching (docs/groups.md §4.2)', () => {
  const setup = () => {
    const c = cast('vouch');
    const v = makeVouch({
      member: c.bob,
      held: c.group,
      newcomer: { key: c.dave.publicKey, name: 'Dave' },
      now: NOW,
      random: c.random,
    });
    const check = (o: Partial<Parameters<typeof checkVouch>[0]> = {}) =>
      checkVouch({
        held: c.group,
        me: c.alice.publicKey,
        bytes: v.bytes,
        relayedBy: c.bob.publicKey,
        now: NOW,
        ledger: emptyLedger(),
        ...o,
      });
    return { ...c, v, check };
  };

  it('the honest path: checked, decided, Dave on the next list with the name Bob gave', () => {
    const { alice, dave, v, check, group } = setup();
    const r = check();
    if (!r.ok) throw new Error(r.message);
    const d = decideVouch({ held: group, admin: alice, vouch: r.vouch, accept: true, lamport: 2 });
    expect(d.list!.list.members.find((m) => hex(m.key) === hex(dave.publicKey))).toMatchObject({
      name: 'Dave',
      since: 2,
    });
    expect(decodeGroup(d.result)).toMatchObject({
      ok: true,
      message: { type: 'vouch-result', outcome: 'added', generation: 2 },
    });
    expect(hex(v.vouch.voucher)).toBe(hex(r.vouch.voucher));
  });

  it('an outsider vouches: NOT_MEMBER', () => {
    const { eve, dave, group, random, check } = setup();
    const forged = signGroup(
      {
        type: 'vouch',
        group: group.list.group,
        voucher: eve.publicKey,
        newcomer: dave.publicKey,
        vouchId: random(16),
        generation: 1,
        createdAt: NOW,
        name: 'D',
      },
      eve,
    );
    expect(check({ bytes: encodeGroup(forged), relayedBy: eve.publicKey })).toMatchObject({
      ok: false,
      code: 'GROUP_VOUCH_NOT_MEMBER',
    });
  });

  it('Carol forwards Bob’s vouch as her own: NOT_MEMBER (a vouch comes from its voucher)', () => {
    const { carol, check } = setup();
    expect(check({ relayedBy: carol.publicKey })).toMatchObject({ ok: false, code: 'GROUP_VOUCH_NOT_MEMBER' });
  });

  it('a vouch whose newcomer was swapped after signing: FORGED', () => {
    const { eve, v, check } = setup();
    expect(check({ bytes: encodeGroup({ ...v.vouch, newcomer: eve.publicKey }) })).toMatchObject({
      ok: false,
      code: 'GROUP_VOUCH_FORGED',
    });
  });

  it('a replayed vouch is REPLAYED; expired or future ones EXPIRED', () => {
    const { check } = setup();
    const first = check();
    if (!first.ok) throw new Error(first.message);
    expect(check({ ledger: first.ledger })).toMatchObject({ ok: false, code: 'GROUP_VOUCH_REPLAYED' });
    expect(check({ now: NOW + VOUCH_TTL_MS })).toMatchObject({ ok: false, code: 'GROUP_VOUCH_EXPIRED' });
    expect(check({ now: NOW - 11 * 60 * 1000 })).toMatchObject({ ok: false, code: 'GROUP_VOUCH_EXPIRED' });
  });

  it('a vouch sent to a member who is not the admin: NOT_ADMIN; for a member: ALREADY_MEMBER; into a full group: FULL', () => {
    const { alice, bob, carol, group, random, check } = setup();
    expect(check({ me: carol.publicKey })).toMatchObject({ ok: false, code: 'GROUP_VOUCH_NOT_ADMIN' });
    const dup = signGroup(
      {
        type: 'vouch',
        group: group.list.group,
        voucher: bob.publicKey,
        newcomer: carol.publicKey,
        vouchId: random(16),
        generation: 1,
        createdAt: NOW,
        name: 'C',
      },
      bob,
    );
    expect(check({ bytes: encodeGroup(dup) })).toMatchObject({ ok: false, code: 'GROUP_VOUCH_ALREADY_MEMBER' });
    const add = Array.from({ length: MAX_GROUP_MEMBERS - 3 }, (_, i) => ({
      key: person(`full/${i}`).publicKey,
      name: `F${i}`,
    }));
    const full = nextList(group, alice, { add, lamport: 2 });
    expect(check({ held: full })).toMatchObject({ ok: false, code: 'GROUP_VOUCH_FULL' });
  });

  it('a refused newcomer learns nothing: the answer names no member, and goes to the voucher only', () => {
    const { alice, group, check, v } = setup();
    const r = check();
    if (!r.ok) throw new Error(r.message);
    const refused = decideVouch({ held: group, admin: alice, vouch: r.vouch, accept: false, lamport: 2 });
    expect(refused.list).toBeUndefined();
    const full = answerRefusal(v.bytes, {
      ok: false,
      code: 'GROUP_VOUCH_FULL',
      side: 'receiver',
      step: '',
      message: '',
    })!;
    for (const answer of [refused.result, full]) {
      const text = hex(answer);
      for (const m of group.list.members) {
        expect(text).not.toContain(hex(m.key));
        expect(text).not.toContain(Buffer.from(m.name).toString('hex'));
      }
      expect(answer.length).toBe(2 + 32 + 16 + 1 + 4);
    }
    expect(
      answerRefusal(v.bytes, { ok: false, code: 'GROUP_VOUCH_FORGED', side: 'receiver', step: '', message: '' }),
    ).toBeNull();
  });
});

describe('attacks on leaving (docs/groups.md §4.4)', () => {
  it('Carol signs a leave in Bob’s name: FORGED (relayed by the admin) or BAD_RELAY (sent by Carol)', () => {
    const { alice, bob, carol, group } = cast();
    const unsigned = { type: 'leave' as const, group: group.list.group, member: bob.publicKey, generation: 1 };
    const sig = ed25519.sign(
      concatBytes(utf8ToBytes('parley/group/leave/1'), encodeGroupUnsigned(unsigned)),
      carol.secretKey.subarray(0, 32),
    );
    const bytes = encodeGroup({ ...unsigned, signature: sig });
    expect(checkLeave({ held: group, bytes, relayedBy: bob.publicKey })).toMatchObject({
      ok: false,
      code: 'GROUP_LEAVE_FORGED',
    });
    expect(checkLeave({ held: group, bytes, relayedBy: alice.publicKey })).toMatchObject({
      ok: false,
      code: 'GROUP_LEAVE_FORGED',
    });
    expect(checkLeave({ held: group, bytes, relayedBy: carol.publicKey })).toMatchObject({
      ok: false,
      code: 'GROUP_LEAVE_BAD_RELAY',
    });
  });

  it('Carol’s signed leave of another group, relayed into this one: WRONG_GROUP; another type or garbage: MALFORMED', () => {
    const { alice, carol, group } = cast();
    const other = signGroup(
      { type: 'leave', group: new Uint8Array(32).fill(0x0e), member: carol.publicKey, generation: 1 },
      carol,
    );
    expect(checkLeave({ held: group, bytes: encodeGroup(other), relayedBy: alice.publicKey })).toMatchObject({
      ok: false,
      code: 'GROUP_LEAVE_WRONG_GROUP',
      side: 'receiver',
      step: 'group leave: id',
    });
    for (const bytes of [group.bytes, new Uint8Array([1, 2, 3])])
      expect(checkLeave({ held: group, bytes, relayedBy: alice.publicKey })).toMatchObject({
        ok: false,
        code: 'GROUP_LEAVE_MALFORMED',
        step: 'group leave: decode',
      });
  });

  it('an old leave replayed after the member came back is STALE', () => {
    const { alice, carol, group } = cast();
    const old = makeLeave(carol, group);
    const g2 = nextList(group, alice, { remove: [carol.publicKey], lamport: 2 });
    const g3: SignedList = nextList(g2, alice, { add: [{ key: carol.publicKey, name: 'Carol' }], lamport: 3 });
    expect(checkLeave({ held: group, bytes: old.bytes, relayedBy: carol.publicKey })).toMatchObject({ ok: true });
    expect(checkLeave({ held: g3, bytes: old.bytes, relayedBy: alice.publicKey })).toMatchObject({
      ok: false,
      code: 'GROUP_LEAVE_STALE',
    });
    expect(checkLeave({ held: g2, bytes: old.bytes, relayedBy: alice.publicKey })).toMatchObject({
      ok: false,
      code: 'GROUP_LEAVE_NOT_MEMBER',
    });
  });

  it('the admin cannot leave (it would orphan the group); makeLeave throws, a hand-made one is NOT_MEMBER', () => {
    const { alice, group } = cast();
    expect(() => makeLeave(alice, group)).toThrow(/admin cannot leave/);
    const own = signGroup({ type: 'leave', group: group.list.group, member: alice.publicKey, generation: 1 }, alice);
    expect(checkLeave({ held: group, bytes: encodeGroup(own), relayedBy: alice.publicKey })).toMatchObject({
      ok: false,
      code: 'GROUP_LEAVE_NOT_MEMBER',
    });
  });
});
