/**
 * Group invite links: a normal Parley invite from a member, plus the group's id, so that someone
 * who knows nobody in the group yet can join (DESIGN.md "Groups"; docs/groups.md §4.5).
 *
 *     https://HOST/#invite=CODE&group=GROUPCODE
 *     GROUPCODE = base64url(0x01 ‖ group id [32] ‖ check [4])
 *     check     = SHA-256("parley/group-invite/1" ‖ UTF-8(CODE) ‖ 0x01 ‖ group id)[0..4]
 *
 * The group part sits in the fragment beside the invite (so, like it, it never reaches a server),
 * and its check binds it to that one invite code: a group part pasted onto another invite, or
 * damaged, is refused. An app that predates groups reads the same link as a plain invite. The
 * newcomer pairs with the member exactly as with any invite (confirmed, as every invite is), and
 * the member then vouches for it ({@link vouchForInvitee}): the member knows which group from its
 * own record of the invite, not from anything the newcomer says.
 * @module
 */
import { equalBytes } from '@noble/ciphers/utils.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { fromBase64Url, toBase64Url } from './base64url';
import { assertBytes, failure, type Failure } from './errors';
import { findMember, type NewMember, type SignedList } from './group';
import { makeVouch } from './group-join';
import { MAX_GROUP_MEMBERS, type GroupMessageOf } from './group-wire';
import { compareBytes, type Identity, type RandomSource } from './identity';
import { encodeInvite, inviteLink, parseInvite, type Invite, type InviteErrorCode } from './invite';

/** What a member keeps with a group invite it made (docs/groups.md §4.5). */
export interface GroupInviteRecord {
  /** The group the invite is for. */
  group: Uint8Array;
}
/** Why a group link's group part was refused (docs/groups.md §4.5). */
export type GroupInviteErrorCode = InviteErrorCode | 'GROUP_INVITE_MALFORMED';
/** Why the member did not vouch for someone who paired through its group invite (docs/groups.md §4.5). */
export type InviteeVouchErrorCode =
  'GROUP_INVITE_NOT_CONFIRMED' | 'GROUP_INVITE_NOT_MEMBER' | 'GROUP_INVITE_ALREADY_MEMBER' | 'GROUP_INVITE_FULL';

const LABEL = utf8ToBytes('parley/group-invite/1');
const VERSION = 1;
const INVISIBLE = /[\s\u00AD\u180E\u200B-\u200F\u2028\u2029\u2060-\u2064\uFEFF]/gu;

function check(code: string, group: Uint8Array): Uint8Array {
  return sha256(concatBytes(LABEL, utf8ToBytes(code), Uint8Array.of(VERSION), group)).subarray(0, 4);
}

/** The link to share for a group invite (docs/groups.md §4.5). */
export function groupInviteLink(origin: string, invite: Invite, group: Uint8Array): string {
  assertBytes('group', group, 32);
  const code = encodeInvite(invite);
  return `${inviteLink(origin, invite)}&group=${toBase64Url(concatBytes(Uint8Array.of(VERSION), group, check(code, group)))}`;
}

/**
 * Reads a pasted invite link (docs/groups.md §4.5): the invite exactly as `parseInvite` reads it,
 * and the group id when the link carries a group part (null for a plain invite). A group part that
 * is damaged or belongs to another invite is `GROUP_INVITE_MALFORMED`: joining the wrong group, or
 * none, silently would be worse than asking for the link again.
 */
export function parseGroupInvite(
  text: string,
  now: number,
): { ok: true; invite: Invite; group: Uint8Array | null } | Failure<GroupInviteErrorCode> {
  const parsed = parseInvite(text, now);
  if (!parsed.ok) return parsed;
  const param = text
    .replace(INVISIBLE, '')
    .split('#')
    .slice(1)
    .join('#')
    .split('&')
    .find((p) => p.startsWith('group='));
  if (param === undefined) return { ok: true, invite: parsed.invite, group: null };
  const bytes = fromBase64Url(param.slice('group='.length).replace(/[>"'”’).,;]+$/u, ''));
  const damaged = failure(
    'GROUP_INVITE_MALFORMED',
    'local',
    'parse group invite: group part',
    'The group part of this invite link is damaged. Ask your friend to send the link again.',
  );
  if (bytes === null || bytes.length !== 37 || bytes[0] !== VERSION) return damaged;
  const group = bytes.slice(1, 33);
  if (!equalBytes(check(encodeInvite(parsed.invite), group), bytes.subarray(33))) return damaged;
  return { ok: true, invite: parsed.invite, group };
}

/**
 * The member's vouch for someone who paired through its group invite (docs/groups.md §4.5), once
 * the pairing is confirmed. Refused (as a value, `side: 'local'`: nothing to send) when the pairing
 * is not confirmed, this member is no longer on the group's list, the newcomer already is, or the
 * group is full.
 */
export function vouchForInvitee(o: {
  record: GroupInviteRecord;
  held: SignedList | null;
  member: Identity;
  newcomer: NewMember;
  confirmed: boolean;
  now: number;
  random: RandomSource;
}): { ok: true; vouch: GroupMessageOf<'vouch'>; bytes: Uint8Array } | Failure<InviteeVouchErrorCode> {
  assertBytes('record.group', o.record?.group, 32);
  const local = (code: InviteeVouchErrorCode, message: string) =>
    failure(code, 'local', 'group invite: vouch', message);
  if (o.confirmed !== true)
    return local('GROUP_INVITE_NOT_CONFIRMED', 'the pairing is not confirmed yet: no vouch before it is');
  const list = o.held?.list;
  if (!list || compareBytes(list.group, o.record.group) !== 0 || !findMember(list, o.member.publicKey))
    return local('GROUP_INVITE_NOT_MEMBER', 'this device is no longer a member of the group the invite was for');
  if (findMember(list, o.newcomer.key)) return local('GROUP_INVITE_ALREADY_MEMBER', 'the newcomer is already a member');
  if (list.members.length >= MAX_GROUP_MEMBERS)
    return local('GROUP_INVITE_FULL', `the group already has ${MAX_GROUP_MEMBERS} members`);
  return {
    ok: true,
    ...makeVouch({ member: o.member, held: o.held!, newcomer: o.newcomer, now: o.now, random: o.random }),
  };
}
