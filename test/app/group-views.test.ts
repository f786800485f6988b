// How a group and its members look on screen (docs/groups.md §10): the held list read afresh,
// the admin marked, a member shown by the person's label for them, and "connected" only for a
// live link to someone other than this person.
import { describe, expect, it } from 'vitest';
import { groupView, memberViews } from '../../src/app/group-views';
import type { GroupRecord } from '../../src/store/group-records';
import { cast, hex } from '../core/group-helpers';

const c = cast('group-views');
const record = { id: hex(c.group.list.group), list: c.group.bytes, state: 'member' } as GroupRecord;

describe('groupView', () => {
  it('reads the held list: name, admin and members by hex key', () => {
    const v = groupView(hex(c.bob.publicKey))(record);
    expect(v).toMatchObject({ id: record.id, name: 'Book club', state: 'member', isAdmin: false });
    expect(v.admin).toBe(hex(c.alice.publicKey));
    expect(v.adminName).toBe('Alice');
    expect(v.members.map((m) => m.name).sort()).toEqual(['Alice', 'Bob', 'Carol']);
  });

  it('is the admin only to the admin', () => {
    expect(groupView(hex(c.alice.publicKey))(record).isAdmin).toBe(true);
  });
});

describe('memberViews', () => {
  const view = groupView(hex(c.bob.publicKey))(record);
  const aliceHex = hex(c.alice.publicKey);
  const carolHex = hex(c.carol.publicKey);
  const bobHex = hex(c.bob.publicKey);
  // Alice is Bob's contact (under her contact id) whom he labelled; Carol is met as a group peer (her hex).
  const contacts = [{ publicKey: c.alice.publicKey, label: 'Mum' }];
  const peerOf = (k: string) => (k === aliceHex ? 'alice-contact' : k);

  it('shows a contact by the label, marks me and the admin, and links by peer id', () => {
    const states = { 'alice-contact': 'connected' as const, [carolHex]: 'waiting' as const };
    const m = memberViews(view, { me: bobHex, states, contacts, peerOf });
    const by = new Map(m.map((x) => [x.key, x]));
    expect(by.get(aliceHex)).toMatchObject({ name: 'Mum', isAdmin: true, isMe: false, connected: true });
    expect(by.get(carolHex)).toMatchObject({ name: 'Carol', isAdmin: false, connected: false });
    expect(by.get(bobHex)).toMatchObject({ name: 'Bob', isMe: true });
  });

  it('never shows this person as connected, even when a state is listed under their key', () => {
    const m = memberViews(view, { me: bobHex, states: { [bobHex]: 'connected' }, contacts: [], peerOf: (k) => k });
    expect(m.find((x) => x.isMe)?.connected).toBe(false);
  });
});
