/**
 * The whole group protocol walked through with the real core (docs/groups.md §4–§7, §10): create,
 * introductions, hellos, a vouch, a group invite, a file offer, a leave and a removal. Pairwise
 * sessions are not simulated: "Alice sends Bob x" means the bytes reach Bob with `relayedBy` /
 * `from` set to Alice, which is what the pairwise ratchet guarantees.
 */
import { describe, expect, it } from 'vitest';
import { createHash, hkdfSync } from 'node:crypto';
import { acceptList, findMember, nextList, type SignedList } from '../../src/core/group';
import { checkFileRequest, groupFileOffer, groupFileRequest, matchesGroupOffer } from '../../src/core/group-files';
import { checkIntro, dialsIntro, introRoomSecret, introsToMake, makeIntro } from '../../src/core/group-intro';
import { groupInviteLink, parseGroupInvite, vouchForInvitee } from '../../src/core/group-invite';
import { checkLeave, checkVouch, checkVouchResult, decideVouch, makeLeave, makeVouch } from '../../src/core/group-join';
import { emptyLedger } from '../../src/core/group-ledger';
import {
  composeGroupMessage,
  fanOutTo,
  receiveGroupMessage,
  startTimeline,
  type GroupTimeline,
} from '../../src/core/group-order';
import type { Identity } from '../../src/core/identity';
import { createInvite } from '../../src/core/invite';
import { cast, hex, person, seededRandom } from './group-helpers';

const NOW = 1_800_000_000_000;

function accept(held: SignedList | null, bytes: Uint8Array, expectId?: Uint8Array) {
  const r = acceptList(held, bytes, { expectId });
  if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
  return r;
}

/** Every pair of members that is not linked gets exactly one intro, and the two agree who dials. */
function introduce(
  held: SignedList,
  people: Identity[],
  linked: Set<string>,
  relay: (to: Identity, from: Identity) => Identity,
) {
  const key = (a: Uint8Array, b: Uint8Array) => [hex(a), hex(b)].sort().join('/');
  const made = new Map<string, number>();
  for (const p of people) {
    const mine = people.filter((q) => q !== p && linked.has(key(p.publicKey, q.publicKey))).map((q) => q.publicKey);
    for (const to of introsToMake(held, p.publicKey, mine)) {
      const target = people.find((q) => hex(q.publicKey) === hex(to))!;
      const intro = makeIntro({ me: p, held, to, now: NOW, random: seededRandom(`intro/${hex(to)}`) });
      const r = checkIntro({
        held,
        me: to,
        bytes: intro.bytes,
        relayedBy: relay(target, p).publicKey,
        now: NOW,
        ledger: emptyLedger(),
      });
      if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
      expect(r.dials).not.toBe(dialsIntro(p.publicKey, to));
      made.set(key(p.publicKey, to), (made.get(key(p.publicKey, to)) ?? 0) + 1);
      linked.add(key(p.publicKey, to));
    }
  }
  for (const a of people)
    for (const b of people) if (a !== b) expect(linked.has(key(a.publicKey, b.publicKey))).toBe(true);
  return [...made.values()];
}

describe('group: the protocol end to end (docs/groups.md §10)', () => {
  it('Alice makes a group with Bob and Carol, Bob adds Dave, Carol invites Erin, Carol leaves, Alice removes Dave', () => {
    const { alice, bob, carol, dave, group, random } = cast('flow');
    const erin = person('flow/erin');
    const key = (a: Identity, b: Identity) => [hex(a.publicKey), hex(b.publicKey)].sort().join('/');
    const linked = new Set([key(alice, bob), key(alice, carol), key(bob, dave), key(carol, erin)]);
    const held = new Map<Identity, SignedList>();

    // 1. The first list reaches Bob and Carol from Alice; Bob and Carol, strangers, are introduced.
    for (const p of [bob, carol]) held.set(p, accept(null, group.bytes).held);
    expect(introduce(group, [alice, bob, carol], linked, () => alice)).toEqual([1]);

    // 2. Bob vouches for Dave, his contact; Alice adds him; Bob forwards the list; Dave meets Alice (through Bob) and Carol.
    const vouch = makeVouch({
      member: bob,
      held: group,
      newcomer: { key: dave.publicKey, name: 'Dave' },
      now: NOW,
      random,
    });
    const checked = checkVouch({
      held: group,
      me: alice.publicKey,
      bytes: vouch.bytes,
      relayedBy: bob.publicKey,
      now: NOW,
      ledger: emptyLedger(),
    });
    if (!checked.ok) throw new Error(checked.message);
    const decided = decideVouch({ held: group, admin: alice, vouch: checked.vouch, accept: true, lamport: 10 });
    const g2 = decided.list!;
    expect(
      checkVouchResult({
        bytes: decided.result,
        group: group.list.group,
        from: alice.publicKey,
        relayedBy: alice.publicKey,
        vouchIds: [vouch.vouch.vouchId],
      }),
    ).toMatchObject({ ok: true, result: { outcome: 'added', generation: 2 } });
    for (const p of [bob, carol])
      expect(accept(held.get(p)!, g2.bytes).changes.added.map((m) => m.name)).toEqual(['Dave']);
    const daveList = accept(null, g2.bytes).held;
    expect(findMember(daveList.list, dave.publicKey)?.since).toBe(2);
    expect(
      introduce(g2, [alice, bob, carol, dave], linked, (to) =>
        hex(to.publicKey) === hex(alice.publicKey) ? bob : alice,
      ),
    ).toEqual([1, 1]);

    // 3. Dave's hello reaches all three; his text follows it in everyone's timeline.
    let dt = startTimeline(seededRandom('dave'), daveList);
    const hello = composeGroupMessage(dt, {
      me: dave.publicKey,
      held: g2,
      body: { type: 'hello', name: 'Dave' },
      now: NOW,
    });
    dt = hello.timeline;
    const text = composeGroupMessage(dt, {
      me: dave.publicKey,
      held: g2,
      body: { type: 'text', text: 'hi all' },
      now: NOW + 1,
    });
    expect(fanOutTo(g2, dave.publicKey).map(hex).sort()).toEqual(
      [alice, bob, carol].map((p) => hex(p.publicKey)).sort(),
    );
    for (const p of [alice, bob, carol]) {
      let t: GroupTimeline = startTimeline(seededRandom(`t/${hex(p.publicKey)}`), g2);
      for (const m of [hello, text]) {
        const r = receiveGroupMessage(t, { held: g2, me: p.publicKey, bytes: m.bytes, from: dave.publicKey });
        if (!r.ok) throw new Error(r.message);
        expect(r.message).toMatchObject(
          m.message.type === 'hello' ? { type: 'hello', name: 'Dave' } : { type: 'text', text: 'hi all' },
        );
        t = r.timeline;
      }
    }

    // 4. Carol invites Erin with a group link; after pairing (confirmed) she vouches; Alice adds Erin.
    const invite = createInvite({ inviterKey: carol.publicKey, now: NOW, random });
    const parsed = parseGroupInvite(
      `Join us: ${groupInviteLink('https://parley.example', invite, group.list.group)}`,
      NOW,
    );
    if (!parsed.ok) throw new Error(parsed.message);
    expect(hex(parsed.group!)).toBe(hex(group.list.group));
    const carolHeld = accept(held.get(carol)!, g2.bytes).held;
    const auto = vouchForInvitee({
      record: { group: parsed.group! },
      held: carolHeld,
      member: carol,
      newcomer: { key: erin.publicKey, name: 'Erin' },
      confirmed: true,
      now: NOW,
      random,
    });
    if (!auto.ok) throw new Error(auto.message);
    const c2 = checkVouch({
      held: g2,
      me: alice.publicKey,
      bytes: auto.bytes,
      relayedBy: carol.publicKey,
      now: NOW,
      ledger: checked.ledger,
    });
    if (!c2.ok) throw new Error(c2.message);
    const g3 = decideVouch({ held: g2, admin: alice, vouch: c2.vouch, accept: true, lamport: 20 }).list!;
    expect(accept(null, g3.bytes, parsed.group!).held.list.members).toHaveLength(5);

    // 5. Bob offers a file; Carol asks for it; Bob's transfer offer matches what Carol asked for.
    const file = { name: 'notes.pdf', type: 'application/pdf', size: 12345, sha256: new Uint8Array(32).fill(4) };
    const body = groupFileOffer([file], random);
    let bt = startTimeline(seededRandom('bob'), g3);
    bt = composeGroupMessage(bt, {
      me: bob.publicKey,
      held: g3,
      body: { type: 'hello', name: 'Bob' },
      now: NOW,
    }).timeline;
    const offer = composeGroupMessage(bt, { me: bob.publicKey, held: g3, body, now: NOW });
    const got = receiveGroupMessage(startTimeline(seededRandom('c'), g3), {
      held: g3,
      me: carol.publicKey,
      bytes: offer.bytes,
      from: bob.publicKey,
    });
    if (!got.ok || got.message.type !== 'file-offer') throw new Error('offer not received');
    const request = groupFileRequest(g3.list.group, got.message.offerId);
    expect(
      checkFileRequest({ held: g3, bytes: request, from: carol.publicKey, myOffers: [body.offerId] }),
    ).toMatchObject({ ok: true });
    const transfer = [{ name: file.name, type: file.type, size: file.size, chunkSize: 65536 }];
    expect(matchesGroupOffer(got.message.files, transfer)).toBe(true);
    expect(matchesGroupOffer(got.message.files, [{ ...transfer[0]!, size: 12346 }])).toBe(false);

    // 6. Carol leaves: Alice checks it, relays it, publishes generation 4; Bob sees "left".
    const leave = makeLeave(carol, g3);
    expect(checkLeave({ held: g3, bytes: leave.bytes, relayedBy: carol.publicKey })).toMatchObject({ ok: true });
    const g4 = nextList(g3, alice, { remove: [carol.publicKey], lamport: 30 });
    expect(checkLeave({ held: g3, bytes: leave.bytes, relayedBy: alice.publicKey })).toMatchObject({ ok: true });
    expect(accept(g3, g4.bytes).changes.removed.map((m) => m.name)).toEqual(['Carol']);
    expect(fanOutTo(g4, bob.publicKey).some((k) => hex(k) === hex(carol.publicKey))).toBe(false);

    // 7. Alice removes Dave; Dave sees he was removed from the list he gets.
    const g5 = nextList(g4, alice, { remove: [dave.publicKey], lamport: 31 });
    const daveSees = accept(daveList, g5.bytes);
    expect(findMember(daveSees.held.list, dave.publicKey)).toBeUndefined();
    expect(daveSees.changes.removed.map((m) => m.name).sort()).toEqual(['Carol', 'Dave']);
  });
});

describe('group: details of the parts', () => {
  it('intro rooms: HKDF-SHA256(secret, "parley/group/intro-day/1" ‖ u64 BE day), new every day', () => {
    const secret = new Uint8Array(32).fill(0x42);
    const day = 20_833;
    const info = Buffer.concat([
      Buffer.from('parley/group/intro-day/1'),
      Buffer.from([0, 0, 0, 0, 0, 0, day >> 8, day & 255]),
    ]);
    const expected = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), info, 32)).toString('hex');
    expect(hex(introRoomSecret(secret, day))).toBe(expected);
    expect(hex(introRoomSecret(secret, day + 1))).not.toBe(expected);
    expect(() => introRoomSecret(secret, -1)).toThrow(/day/);
  });

  it('the group invite check is SHA-256("parley/group-invite/1" ‖ code ‖ 0x01 ‖ id)[0..4]', () => {
    const { bob, group } = cast();
    const invite = createInvite({ inviterKey: bob.publicKey, now: NOW, random: seededRandom('i') });
    const link = groupInviteLink('https://x.example', invite, group.list.group);
    const [base, part] = link.split('&');
    const code = base!.split('#invite=')[1]!;
    const check = createHash('sha256')
      .update('parley/group-invite/1')
      .update(code)
      .update(Buffer.of(1))
      .update(group.list.group)
      .digest()
      .subarray(0, 4);
    expect(part).toBe(`group=${Buffer.concat([Buffer.of(1), group.list.group, check]).toString('base64url')}`);
  });

  it('a vouch for an invitee waits for the confirmed pairing and a current membership', () => {
    const { alice, bob, dave, group, random } = cast();
    const o = {
      record: { group: group.list.group },
      held: group,
      member: bob,
      newcomer: { key: dave.publicKey, name: 'Dave' },
      confirmed: true,
      now: NOW,
      random,
    };
    expect(vouchForInvitee({ ...o, confirmed: false })).toMatchObject({
      ok: false,
      code: 'GROUP_INVITE_NOT_CONFIRMED',
      side: 'local',
    });
    const g2 = nextList(group, alice, { remove: [bob.publicKey], lamport: 2 });
    expect(vouchForInvitee({ ...o, held: g2 })).toMatchObject({ ok: false, code: 'GROUP_INVITE_NOT_MEMBER' });
    expect(vouchForInvitee({ ...o, held: null })).toMatchObject({ ok: false, code: 'GROUP_INVITE_NOT_MEMBER' });
    expect(vouchForInvitee({ ...o, newcomer: { key: alice.publicKey, name: 'A' } })).toMatchObject({
      ok: false,
      code: 'GROUP_INVITE_ALREADY_MEMBER',
    });
    expect(vouchForInvitee(o)).toMatchObject({ ok: true });
  });

  it('a refused newcomer hears only a forwarded refusal from its voucher, for the group it asked to join', () => {
    const { alice, bob, dave, group, random } = cast();
    const v = makeVouch({
      member: bob,
      held: group,
      newcomer: { key: dave.publicKey, name: 'Dave' },
      now: NOW,
      random,
    });
    const c = checkVouch({
      held: group,
      me: alice.publicKey,
      bytes: v.bytes,
      relayedBy: bob.publicKey,
      now: NOW,
      ledger: emptyLedger(),
    });
    if (!c.ok) throw new Error(c.message);
    const { result } = decideVouch({ held: group, admin: alice, vouch: c.vouch, accept: false, lamport: 2 });
    expect(
      checkVouchResult({ bytes: result, group: group.list.group, from: bob.publicKey, relayedBy: bob.publicKey }),
    ).toMatchObject({ ok: true, result: { outcome: 'refused', generation: 0 } });
    expect(
      checkVouchResult({ bytes: result, group: group.list.group, from: bob.publicKey, relayedBy: alice.publicKey }),
    ).toMatchObject({ ok: false, code: 'GROUP_VOUCH_RESULT_UNEXPECTED' });
    expect(
      checkVouchResult({ bytes: result, group: new Uint8Array(32), from: bob.publicKey, relayedBy: bob.publicKey }),
    ).toMatchObject({ ok: false, code: 'GROUP_VOUCH_RESULT_UNEXPECTED' });
  });
});
