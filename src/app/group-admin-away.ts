/**
 * What waits for an offline admin (docs/groups.md §10.3 "Admin offline"): members this device asked
 * the admin to add (vouches without an answer) and members it has not met yet and holds no intro
 * from (an introduction goes through the admin). Members already introduced keep chatting; these
 * wait in the outbox to the admin and go out when the admin is back. Shown in the group chat
 * (`group-admin-away`) only while the admin has no live link to this device.
 * @module
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import type { GroupRecord } from '../store/group-records';
import { heldOf } from './group-step';
import { t } from './strings';

/** The admin is offline and something of this device's waits for them. */
export interface AdminAway {
  /** The admin's name on the list. */
  adminName: string;
  /** Names of the people this device asked the admin to add (their names as contacts). */
  adding: string[];
  /** Names (on the list) of members not yet introduced to this device. */
  introductions: string[];
}

/**
 * What waits for the admin of `rec`, or null: this device is the admin, or is not a member, or the
 * admin is `connected`, or nothing waits. `linked`: hex keys this device has a pairwise session
 * with; `nameOf`: a contact's name by key hex (vouches name this device's own contacts).
 */
export function adminAway(
  rec: GroupRecord,
  o: { meHex: string; connected: boolean; linked: ReadonlySet<string>; nameOf(hex: string): string | undefined },
): AdminAway | null {
  const { list } = heldOf(rec);
  const admin = bytesToHex(list.admin);
  if (rec.state !== 'member' || admin === o.meHex || o.connected) return null;
  const accepted = new Set(rec.introsAccepted.map((i) => i.from));
  const introductions = list.members
    .map((m) => ({ key: bytesToHex(m.key), name: m.name }))
    .filter((m) => m.key !== o.meHex && m.key !== admin && !o.linked.has(m.key) && !accepted.has(m.key))
    .map((m) => m.name);
  const adding = rec.vouches.map((v) => o.nameOf(v.newcomer) ?? t.group.someone(v.newcomer.slice(0, 8)));
  if (adding.length === 0 && introductions.length === 0) return null;
  const adminName = list.members.find((m) => bytesToHex(m.key) === admin)?.name ?? admin.slice(0, 8);
  return { adminName, adding, introductions };
}

/** The sentence the group chat shows for `a` (docs/groups.md §10.6). */
export function adminAwayText(a: AdminAway): string {
  return t.group.adminAway(a.adminName, a.adding, a.introductions);
}
