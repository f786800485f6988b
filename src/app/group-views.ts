/**
 * What the UI shows of groups (docs/groups.md §10): a group record as a line of the group list,
 * and the open group's members with the person's labels and whether a link to each is up. Pure:
 * `GroupsState` derives them from its records, the contacts and the connection manager's peers.
 * @module
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import type { GroupMembership, GroupRecord } from '../store/group-records';
import type { ContactRecord } from '../store/db';
import type { PeerState } from './connection-hooks';
import { heldOf } from './group-step';

/** A member as the open group shows them. */
export interface MemberView {
  key: string;
  name: string;
  isMe: boolean;
  isAdmin: boolean;
  connected: boolean;
}

/** A group in the list. */
export interface GroupView {
  id: string;
  name: string;
  state: GroupMembership;
  isAdmin: boolean;
  /** Hex of the admin's key, and its name on the list. */
  admin: string;
  adminName: string;
  members: { key: string; name: string }[];
}

/** How `me` (hex of this person's key) sees a group record in the list: its held member list. */
export function groupView(me: string): (r: GroupRecord) => GroupView {
  return (r) => {
    const { list } = heldOf(r);
    const admin = bytesToHex(list.admin);
    return {
      id: r.id,
      name: list.name,
      state: r.state,
      isAdmin: admin === me,
      admin,
      adminName: list.members.find((m) => bytesToHex(m.key) === admin)?.name ?? '',
      members: list.members.map((m) => ({ key: bytesToHex(m.key), name: m.name })),
    };
  };
}

/** What the open group's members are shown with. */
export interface MemberContext {
  /** Hex of this person's key. */
  me: string;
  /** Link states by peer id (a contact's key, or a group peer's hex key). */
  states: Partial<Record<string, PeerState>>;
  contacts: readonly Pick<ContactRecord, 'publicKey' | 'label'>[];
  /** The peer id a member (hex of their key) is linked under. */
  peerOf(memberHex: string): string;
}

/** The open group's members with their link state. */
export function memberViews(g: GroupView, ctx: MemberContext): MemberView[] {
  // A member who is a contact shows by the person's label for them (docs/app.md "Renaming a contact").
  const labels = new Map(ctx.contacts.flatMap((c) => (c.label ? [[bytesToHex(c.publicKey), c.label]] : [])));
  return g.members.map((m) => ({
    ...m,
    name: labels.get(m.key) ?? m.name,
    isMe: m.key === ctx.me,
    isAdmin: m.key === g.admin,
    connected: m.key !== ctx.me && ctx.states[ctx.peerOf(m.key)] === 'connected',
  }));
}
