/**
 * Attacks on introductions, group messages, group invite links and file requests
 * (docs/groups.md §4.5, §5, §6, §7, §8): each test plays the attacker against the real code.
 */
import { describe, expect, it } from 'vitest';
import { nextList } from '../../src/core/group';
import { signGroup } from '../../src/core/group-signed';
import { checkFileRequest, groupFileRequest } from '../../src/core/group-files';
import { checkIntro, makeIntro, MAX_INTRO_TTL_MS } from '../../src/core/group-intro';
import { groupInviteLink, parseGroupInvite } from '../../src/core/group-invite';
import { emptyLedger, MAX_LEDGER_ENTRIES, type SeenLedger } from '../../src/core/group-ledger';
import { composeGroupMessage, MAX_LAMPORT_JUMP, receiveGroupMessage, startTimeline } from '../../src/core/group-order';
import { encodeGroup, type GroupMessageOf } from '../../src/core/group-wire';
import { createInvite } from '../../src/core/invite';
import { cast, seededRandom } from './group-helpers';

const NOW = 1_800_000_000_000;

describe('attacks on introductions (docs/groups.md §5.3)', () => {
  const setup = () => {
    const c = cast('intro');
    const g2 = nextList(c.group, c.alice, { add: [{ key: c.dave.publicKey, name: 'Dave' }], lamport: 2 });
    const intro = makeIntro({ me: c.dave, held: g2, to: c.carol.publicKey, now: NOW, random: c.random });
    const check = (o: Partial<Parameters<typeof checkIntro>[0]> = {}) =>
      checkIntro({
        held: g2,
        me: c.carol.publicKey,
        bytes: intro.bytes,
        relayedBy: c.alice.publicKey,
        now: NOW,
        ledger: emptyLedger(),
        ...o,
      });
    return { ...c, g2, intro, check };
  };

  it('the honest path: Carol accepts Dave’s intro relayed by Alice; the lower key dials', () => {
    const { carol, dave, check } = setup();
    const r = check();
    if (!r.ok) throw new Error(r.message);
    expect(r.dials).toBe(Buffer.compare(carol.publicKey, dave.publicKey) < 0);
  });

  it('an intro relayed by a member who is not the admin: BAD_RELAY', () => {
    const { bob, check } = setup();
    expect(check({ relayedBy: bob.publicKey })).toMatchObject({ ok: false, code: 'GROUP_INTRO_BAD_RELAY' });
  });

  it('an intro for Carol shown to Bob: NOT_FOR_ME', () => {
    const { bob, check } = setup();
    expect(check({ me: bob.publicKey })).toMatchObject({ ok: false, code: 'GROUP_INTRO_NOT_FOR_ME' });
  });

  it('an intro from a removed member (made before, relayed after the removal): NOT_MEMBER', () => {
    const { alice, dave, g2, check } = setup();
    const g3 = nextList(g2, alice, { remove: [dave.publicKey], lamport: 3 });
    expect(check({ held: g3 })).toMatchObject({ ok: false, code: 'GROUP_INTRO_NOT_MEMBER' });
  });

  it('the admin swaps the rendezvous secret for its own (to meet Carol as Dave): FORGED', () => {
    const { intro, check } = setup();
    const swapped = encodeGroup({ ...intro.intro, rendezvousSecret: new Uint8Array(32).fill(0xad) });
    expect(check({ bytes: swapped })).toMatchObject({ ok: false, code: 'GROUP_INTRO_FORGED' });
  });

  it('Eve, outside the group, signs an intro as herself: NOT_MEMBER; in Dave’s name: FORGED', () => {
    const { eve, dave, carol, g2, check } = setup();
    const fields = {
      type: 'intro' as const,
      group: g2.list.group,
      to: carol.publicKey,
      introId: new Uint8Array(16).fill(1),
      rendezvousSecret: new Uint8Array(32).fill(2),
      expiresAt: NOW + 1000,
    };
    const own = signGroup({ ...fields, from: eve.publicKey }, eve);
    expect(check({ bytes: encodeGroup(own) })).toMatchObject({ ok: false, code: 'GROUP_INTRO_NOT_MEMBER' });
    const inDave = { ...own, from: dave.publicKey };
    expect(check({ bytes: encodeGroup(inDave) })).toMatchObject({ ok: false, code: 'GROUP_INTRO_FORGED' });
  });

  it('Dave’s signed intro to Carol in another group, relayed into this one: WRONG_GROUP; another type or garbage: MALFORMED', () => {
    const { dave, carol, alice, check } = setup();
    const other = signGroup(
      {
        type: 'intro',
        group: new Uint8Array(32).fill(0x0e),
        from: dave.publicKey,
        to: carol.publicKey,
        introId: new Uint8Array(16).fill(5),
        rendezvousSecret: new Uint8Array(32).fill(6),
        expiresAt: NOW + 1000,
      },
      dave,
    );
    expect(check({ bytes: encodeGroup(other) })).toMatchObject({
      ok: false,
      code: 'GROUP_INTRO_WRONG_GROUP',
      side: 'receiver',
      step: 'group intro: id',
    });
    const leave = signGroup({ type: 'leave', group: other.group, member: dave.publicKey, generation: 2 }, dave);
    for (const bytes of [encodeGroup(leave), new Uint8Array([1, 2, 3]), alice.publicKey])
      expect(check({ bytes })).toMatchObject({ ok: false, code: 'GROUP_INTRO_MALFORMED', step: 'group intro: decode' });
  });

  it('a replayed intro is REPLAYED; an expired one or one claiming over 7 days EXPIRED', () => {
    const { dave, g2, carol, check } = setup();
    const first = check();
    if (!first.ok) throw new Error(first.message);
    expect(check({ ledger: first.ledger })).toMatchObject({ ok: false, code: 'GROUP_INTRO_REPLAYED' });
    expect(check({ now: NOW + MAX_INTRO_TTL_MS })).toMatchObject({ ok: false, code: 'GROUP_INTRO_EXPIRED' });
    const forever = signGroup(
      {
        type: 'intro',
        group: g2.list.group,
        from: dave.publicKey,
        to: carol.publicKey,
        introId: new Uint8Array(16).fill(3),
        rendezvousSecret: new Uint8Array(32).fill(4),
        expiresAt: NOW + MAX_INTRO_TTL_MS + 11 * 60 * 1000,
      },
      dave,
    );
    expect(check({ bytes: encodeGroup(forever) })).toMatchObject({ ok: false, code: 'GROUP_INTRO_EXPIRED' });
  });

  it('a flood of intros fills the ledger: the next is BUSY, and nothing recorded is lost', () => {
    const { dave, g2, carol, check } = setup();
    let ledger: SeenLedger = emptyLedger();
    const random = seededRandom('flood');
    for (let i = 0; i <= MAX_LEDGER_ENTRIES; i++) {
      const m = makeIntro({ me: dave, held: g2, to: carol.publicKey, now: NOW, random, ttlMs: 60_000 });
      const r = check({ bytes: m.bytes, ledger });
      if (i < MAX_LEDGER_ENTRIES) {
        if (!r.ok) throw new Error(r.message);
        ledger = r.ledger;
      } else expect(r).toMatchObject({ ok: false, code: 'GROUP_INTRO_BUSY' });
    }
    expect(ledger.entries).toHaveLength(MAX_LEDGER_ENTRIES);
    // Once they expire, intros are taken again.
    const later = makeIntro({ me: dave, held: g2, to: carol.publicKey, now: NOW + 60_000, random });
    expect(check({ bytes: later.bytes, ledger, now: NOW + 60_000 })).toMatchObject({ ok: true });
  });
});

describe('attacks on group messages (docs/groups.md §6.2)', () => {
  const setup = () => {
    const c = cast('msg');
    const send = (who: typeof c.bob, text: string, held = c.group) => {
      let t = startTimeline(seededRandom(`msg/${text}`), held);
      t = composeGroupMessage(t, { me: who.publicKey, held, body: { type: 'hello', name: 'X' }, now: NOW }).timeline;
      return composeGroupMessage(t, { me: who.publicKey, held, body: { type: 'text', text }, now: NOW });
    };
    const receive = (bytes: Uint8Array, from: Uint8Array, held = c.group) =>
      receiveGroupMessage(startTimeline(seededRandom('carol'), held), { held, me: c.carol.publicKey, bytes, from });
    return { ...c, send, receive };
  };

  it('Bob sends a message stamped as Alice over his own link: WRONG_SENDER', () => {
    const { alice, bob, send, receive } = setup();
    const m = send(alice, 'I am the admin');
    expect(receive(m.bytes, bob.publicKey)).toMatchObject({ ok: false, code: 'GROUP_MSG_WRONG_SENDER' });
  });

  it('a removed member keeps sending: NOT_MEMBER, and not "wait for a newer list"', () => {
    const { alice, bob, group, send, receive } = setup();
    const m = send(bob, 'still here?');
    const g2 = nextList(group, alice, { remove: [bob.publicKey], lamport: 2 });
    expect(receive(m.bytes, bob.publicKey, g2)).toMatchObject({
      ok: false,
      code: 'GROUP_MSG_NOT_MEMBER',
      waitForList: false,
    });
  });

  it('a newcomer’s message that overtakes its list: NOT_MEMBER with waitForList (keep it, fetch the list)', () => {
    const { alice, dave, group, send, receive } = setup();
    const g2 = nextList(group, alice, { add: [{ key: dave.publicKey, name: 'Dave' }], lamport: 2 });
    const m = send(dave, 'hi all', g2);
    expect(receive(m.bytes, dave.publicKey)).toMatchObject({
      ok: false,
      code: 'GROUP_MSG_NOT_MEMBER',
      waitForList: true,
    });
    expect(receive(m.bytes, dave.publicKey, g2)).toMatchObject({ ok: true });
  });

  it('an outsider (paired with Carol as a contact) sends into the group: NOT_MEMBER', () => {
    const { eve, group, receive } = setup();
    const m: GroupMessageOf<'text'> = {
      type: 'text',
      group: group.list.group,
      sender: eve.publicKey,
      epoch: new Uint8Array(8),
      generation: 1,
      seq: 2,
      lamport: 2,
      sentAt: NOW,
      text: 'let me in',
    };
    expect(receive(encodeGroup(m), eve.publicKey)).toMatchObject({ ok: false, code: 'GROUP_MSG_NOT_MEMBER' });
  });

  it('a member pushes the clock to the end of time: CLOCK_JUMP, the clock does not move', () => {
    const { bob, group, receive } = setup();
    const m: GroupMessageOf<'text'> = {
      type: 'text',
      group: group.list.group,
      sender: bob.publicKey,
      epoch: new Uint8Array(8),
      generation: 1,
      seq: 2,
      lamport: group.list.lamport + MAX_LAMPORT_JUMP + 1,
      sentAt: NOW,
      text: 'tick',
    };
    expect(receive(encodeGroup(m), bob.publicKey)).toMatchObject({ ok: false, code: 'GROUP_MSG_CLOCK_JUMP' });
    expect(receive(encodeGroup({ ...m, lamport: group.list.lamport + MAX_LAMPORT_JUMP }), bob.publicKey)).toMatchObject(
      { ok: true },
    );
  });

  it('a removed member gets nothing it can use: its own copy says REMOVED', () => {
    const { alice, bob, carol, group, send } = setup();
    const g2 = nextList(group, alice, { remove: [carol.publicKey], lamport: 2 });
    const m = send(bob, 'after removal', group);
    const r = receiveGroupMessage(startTimeline(seededRandom('c'), g2), {
      held: g2,
      me: carol.publicKey,
      bytes: m.bytes,
      from: bob.publicKey,
    });
    expect(r).toMatchObject({ ok: false, code: 'GROUP_MSG_REMOVED' });
  });
});

describe('attacks on group invite links and file requests (docs/groups.md §4.5, §7)', () => {
  it('a group part moved onto another invite, or damaged, is refused; the plain invite still parses', () => {
    const { bob, group } = cast();
    const random = seededRandom('inv');
    const a = createInvite({ inviterKey: bob.publicKey, now: NOW, random });
    const b = createInvite({ inviterKey: bob.publicKey, now: NOW, random });
    const linkA = groupInviteLink('https://p.example', a, group.list.group);
    const linkB = groupInviteLink('https://p.example', b, new Uint8Array(32).fill(9));
    const moved = `${linkB.split('&')[0]}&${linkA.split('&')[1]}`;
    expect(parseGroupInvite(moved, NOW)).toMatchObject({ ok: false, code: 'GROUP_INVITE_MALFORMED' });
    const damaged = linkA.slice(0, -3) + (linkA.at(-3) === 'A' ? 'B' : 'A') + linkA.slice(-2);
    expect(parseGroupInvite(damaged, NOW)).toMatchObject({ ok: false, code: 'GROUP_INVITE_MALFORMED' });
    expect(parseGroupInvite(linkA.split('&')[0]!, NOW)).toMatchObject({ ok: true, group: null });
  });

  it('a removed member, or an outsider, asks for a group file: NOT_MEMBER; an unknown offer: UNKNOWN_OFFER', () => {
    const { alice, carol, eve, group } = cast();
    const offerId = new Uint8Array(16).fill(7);
    const g2 = nextList(group, alice, { remove: [carol.publicKey], lamport: 2 });
    const bytes = groupFileRequest(group.list.group, offerId);
    expect(checkFileRequest({ held: g2, bytes, from: carol.publicKey, myOffers: [offerId] })).toMatchObject({
      ok: false,
      code: 'GROUP_FILE_NOT_MEMBER',
    });
    expect(checkFileRequest({ held: g2, bytes, from: eve.publicKey, myOffers: [offerId] })).toMatchObject({
      ok: false,
      code: 'GROUP_FILE_NOT_MEMBER',
    });
    expect(checkFileRequest({ held: group, bytes, from: carol.publicKey, myOffers: [] })).toMatchObject({
      ok: false,
      code: 'GROUP_FILE_UNKNOWN_OFFER',
    });
    expect(checkFileRequest({ held: group, bytes, from: carol.publicKey, myOffers: [offerId] })).toMatchObject({
      ok: true,
    });
  });

  it('a request for an offer of another group: WRONG_GROUP; garbage in its place: MALFORMED', () => {
    const { group, carol } = cast('file-decode');
    const offerId = new Uint8Array(16).fill(7);
    const ask = (bytes: Uint8Array) =>
      checkFileRequest({ held: group, bytes, from: carol.publicKey, myOffers: [offerId] });
    expect(ask(groupFileRequest(new Uint8Array(32).fill(0x0e), offerId))).toMatchObject({
      ok: false,
      code: 'GROUP_FILE_WRONG_GROUP',
      step: 'group file request: id',
    });
    expect(ask(group.bytes)).toMatchObject({
      ok: false,
      code: 'GROUP_FILE_MALFORMED',
      step: 'group file request: decode',
    });
  });
});
