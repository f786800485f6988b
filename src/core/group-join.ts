/**
 * Joining and leaving: seed 002's vouching with the admin in the server's place, and a member's
 * signed leave (DESIGN.md "Groups"; docs/groups.md §4).
 *
 * A member vouches for one of its own contacts: it signs `{group, voucher, newcomer, name,
 * generation, createdAt, vouchId}` and sends it to the admin over their pairwise session. The
 * admin checks it ({@link checkVouch}), decides, and answers the voucher with a `vouch-result`;
 * on "add" it publishes the next list ({@link decideVouch}). The newcomer hears nothing from the
 * admin or any member until a list names it (the voucher forwards that list). A member leaves by
 * signing `{group, member, generation}`; the admin turns that into the next list without it.
 * @module
 */
import { failure, type Failure } from './errors';
import { findMember, nextList, type NewMember, type SignedList } from './group';
import { decodeForReceiver, signGroup, verifyGroupSignature, type DecodeRefusals } from './group-signed';
import { ledgerAdd, ledgerHas, type SeenLedger } from './group-ledger';
import { decodeGroup, encodeGroup, MAX_GROUP_MEMBERS, type GroupMessageOf, type VouchOutcome } from './group-wire';
import { compareBytes, isValidPublicKey, randomBytesFrom, type Identity, type RandomSource } from './identity';
import { cleanDisplayName } from './invite';

/** How long a vouch stays good after it was made (docs/groups.md §4.2). */
export const VOUCH_TTL_MS = 7 * 24 * 60 * 60 * 1000;
/** How far ahead of this device's clock a peer's timestamp may be (docs/groups.md §4.2). */
export const MAX_CLOCK_SKEW_MS = 10 * 60 * 1000;

/** Why the admin refused a vouch (docs/groups.md §4.2). */
export type VouchErrorCode =
  | 'GROUP_VOUCH_MALFORMED'
  | 'GROUP_VOUCH_NOT_ADMIN'
  | 'GROUP_VOUCH_WRONG_GROUP'
  | 'GROUP_VOUCH_NOT_MEMBER'
  | 'GROUP_VOUCH_FORGED'
  | 'GROUP_VOUCH_EXPIRED'
  | 'GROUP_VOUCH_REPLAYED'
  | 'GROUP_VOUCH_ALREADY_MEMBER'
  | 'GROUP_VOUCH_FULL';
/** Why a leave was refused (docs/groups.md §4.4). */
export type LeaveErrorCode =
  | 'GROUP_LEAVE_MALFORMED'
  | 'GROUP_LEAVE_WRONG_GROUP'
  | 'GROUP_LEAVE_NOT_MEMBER'
  | 'GROUP_LEAVE_BAD_RELAY'
  | 'GROUP_LEAVE_FORGED'
  | 'GROUP_LEAVE_STALE';

type Vouch = GroupMessageOf<'vouch'>;
type Leave = GroupMessageOf<'leave'>;
const LEAVE_REFUSALS: DecodeRefusals<LeaveErrorCode> = {
  check: 'group leave',
  malformed: 'GROUP_LEAVE_MALFORMED',
  wrongGroup: 'GROUP_LEAVE_WRONG_GROUP',
};

/**
 * A member's signed vouch for `newcomer`, one of its own contacts (docs/groups.md §4.1). Throws if
 * `member` is not on the list, the newcomer already is, or the newcomer's key is not valid.
 */
export function makeVouch(o: {
  member: Identity;
  held: SignedList;
  newcomer: NewMember;
  now: number;
  random: RandomSource;
}): { vouch: Vouch; bytes: Uint8Array } {
  const list = o.held?.list;
  if (!list || !findMember(list, o.member?.publicKey)) throw new TypeError('member: not on the held list');
  if (!isValidPublicKey(o.newcomer?.key)) throw new TypeError('newcomer.key: not a valid Ed25519 public key');
  if (findMember(list, o.newcomer.key)) throw new RangeError('newcomer: already a member');
  const name = cleanDisplayName(String(o.newcomer.name ?? ''));
  if (name === undefined) throw new TypeError('newcomer.name: expected a display name');
  if (!Number.isSafeInteger(o.now) || o.now < 0) throw new TypeError('now: expected a time in ms');
  const vouch = signGroup(
    {
      type: 'vouch',
      group: list.group,
      voucher: o.member.publicKey,
      newcomer: Uint8Array.from(o.newcomer.key),
      vouchId: randomBytesFrom(o.random, 16),
      generation: list.generation,
      createdAt: o.now,
      name,
    },
    o.member,
  );
  return { vouch, bytes: encodeGroup(vouch) };
}

/**
 * A single-use signed group message as it reaches its receiver (a vouch, docs/groups.md §4.2; an
 * intro, §5.3): the list the receiver holds, its own key, the bytes, the peer whose pairwise
 * session they came over, the time, and the ledger of the ids already used.
 */
export interface SingleUseArrival {
  held: SignedList;
  me: Uint8Array;
  bytes: Uint8Array;
  relayedBy: Uint8Array;
  now: number;
  ledger: SeenLedger;
}

/**
 * The admin's checks of a vouch that arrived over the pairwise session with `relayedBy`
 * (docs/groups.md §4.2), in this order: it decodes; this device is the admin; same group; the
 * voucher sent it itself and is on the list; the signature verifies; it is fresh (made no later
 * than `now` + 10 min, less than 7 days ago); its id is new; the newcomer is not a member; there
 * is room. On success the ledger records the id: one vouch is decided once.
 */
export function checkVouch(
  o: SingleUseArrival,
): { ok: true; vouch: Vouch; ledger: SeenLedger } | Failure<VouchErrorCode> {
  const d = decodeGroup(o.bytes);
  if (!d.ok || d.message.type !== 'vouch')
    return vouchBad('GROUP_VOUCH_MALFORMED', 'decode', d.ok ? `expected a vouch, got a ${d.message.type}` : d.message);
  const v = d.message;
  const list = o.held.list;
  if (compareBytes(o.me, list.admin) !== 0)
    return vouchBad('GROUP_VOUCH_NOT_ADMIN', 'admin', 'a vouch reached a member who is not the admin');
  if (compareBytes(v.group, list.group) !== 0)
    return vouchBad('GROUP_VOUCH_WRONG_GROUP', 'id', 'the vouch names another group');
  if (!isValidPublicKey(v.newcomer))
    return vouchBad('GROUP_VOUCH_MALFORMED', 'newcomer', 'the newcomer key is not valid');
  if (compareBytes(v.voucher, o.relayedBy) !== 0 || !findMember(list, v.voucher))
    return vouchBad(
      'GROUP_VOUCH_NOT_MEMBER',
      'voucher',
      'the voucher is not a member, or did not send the vouch itself',
    );
  if (!verifyGroupSignature(v))
    return vouchBad('GROUP_VOUCH_FORGED', 'signature', "the voucher's signature does not verify");
  if (v.createdAt > o.now + MAX_CLOCK_SKEW_MS || o.now >= v.createdAt + VOUCH_TTL_MS)
    return vouchBad('GROUP_VOUCH_EXPIRED', 'freshness', 'the vouch is over 7 days old (or from the future): ask again');
  if (ledgerHas(o.ledger, v.vouchId, o.now))
    return vouchBad('GROUP_VOUCH_REPLAYED', 'id', 'this vouch was already decided');
  if (findMember(list, v.newcomer))
    return vouchBad('GROUP_VOUCH_ALREADY_MEMBER', 'newcomer', 'the newcomer is already a member');
  if (list.members.length >= MAX_GROUP_MEMBERS)
    return vouchBad('GROUP_VOUCH_FULL', 'room', `the group already has ${MAX_GROUP_MEMBERS} members`);
  const ledger = ledgerAdd(o.ledger, v.vouchId, v.createdAt + VOUCH_TTL_MS, o.now);
  if (!ledger) return vouchBad('GROUP_VOUCH_REPLAYED', 'ledger', 'too many vouches waiting: try again later');
  return { ok: true, vouch: v, ledger };
}

/**
 * The admin's decision on a checked vouch (docs/groups.md §4.3): on `accept`, the next list with
 * the newcomer (named as the voucher named them) and an `added` result; else a `refused` result.
 * `lamport` is the admin's clock after counting the change.
 */
export function decideVouch(o: { held: SignedList; admin: Identity; vouch: Vouch; accept: boolean; lamport: number }): {
  result: Uint8Array;
  list?: SignedList;
} {
  if (!o.accept) return { result: vouchResult(o.vouch, 'refused', 0) };
  const list = nextList(o.held, o.admin, { add: [{ key: o.vouch.newcomer, name: o.vouch.name }], lamport: o.lamport });
  return { result: vouchResult(o.vouch, 'added', list.list.generation), list };
}

/**
 * The `vouch-result` to send the voucher for a refused vouch, or null when the vouch deserves no
 * answer (it did not decode, was forged or names another group: a broken or hostile peer)
 * (docs/groups.md §4.3).
 */
export function answerRefusal(bytes: Uint8Array, refusal: Failure<VouchErrorCode>): Uint8Array | null {
  const outcome: Partial<Record<VouchErrorCode, VouchOutcome>> = {
    GROUP_VOUCH_NOT_ADMIN: 'not-admin',
    GROUP_VOUCH_NOT_MEMBER: 'not-member',
    GROUP_VOUCH_EXPIRED: 'expired',
    GROUP_VOUCH_REPLAYED: 'replayed',
    GROUP_VOUCH_ALREADY_MEMBER: 'already-member',
    GROUP_VOUCH_FULL: 'full',
  };
  const d = decodeGroup(bytes);
  const o = outcome[refusal.code];
  return d.ok && d.message.type === 'vouch' && o ? vouchResult(d.message, o, 0) : null;
}

/** Why a `vouch-result` was ignored (docs/groups.md §4.3). */
export type VouchResultErrorCode = 'GROUP_VOUCH_RESULT_MALFORMED' | 'GROUP_VOUCH_RESULT_UNEXPECTED';

/**
 * Checks a `vouch-result` (docs/groups.md §4.3): the voucher takes it from the admin, for one of
 * its pending vouch ids; a newcomer takes a forwarded refusal from its voucher, for the group it is
 * joining (no `vouchIds`: it never saw the vouch).
 */
export function checkVouchResult(o: {
  bytes: Uint8Array;
  group: Uint8Array;
  from: Uint8Array;
  relayedBy: Uint8Array;
  vouchIds?: readonly Uint8Array[];
}): { ok: true; result: GroupMessageOf<'vouch-result'> } | Failure<VouchResultErrorCode> {
  const d = decodeGroup(o.bytes);
  if (!d.ok || d.message.type !== 'vouch-result')
    return failure(
      'GROUP_VOUCH_RESULT_MALFORMED',
      'receiver',
      'group vouch result: decode',
      d.ok ? `expected a vouch-result, got a ${d.message.type}` : d.message,
    );
  const r = d.message;
  const expected =
    compareBytes(r.group, o.group) === 0 &&
    compareBytes(o.relayedBy, o.from) === 0 &&
    (o.vouchIds === undefined || o.vouchIds.some((id) => compareBytes(id, r.vouchId) === 0));
  if (!expected)
    return failure(
      'GROUP_VOUCH_RESULT_UNEXPECTED',
      'receiver',
      'group vouch result: match',
      'a vouch result for no vouch of ours, or from someone other than who decides it',
    );
  return { ok: true, result: r };
}

function vouchResult(v: Vouch, outcome: VouchOutcome, generation: number): Uint8Array {
  return encodeGroup({ type: 'vouch-result', group: v.group, vouchId: v.vouchId, outcome, generation });
}

/**
 * A member's signed leave (docs/groups.md §4.4). Throws for the admin, who cannot leave its own
 * group (it removes everyone instead), and for a key not on the list.
 */
export function makeLeave(member: Identity, held: SignedList): { leave: Leave; bytes: Uint8Array } {
  const list = held?.list;
  if (!list || !findMember(list, member?.publicKey)) throw new TypeError('member: not on the held list');
  if (compareBytes(member.publicKey, list.admin) === 0)
    throw new RangeError('member: the admin cannot leave; remove the other members to end the group');
  const leave = signGroup(
    { type: 'leave', group: list.group, member: member.publicKey, generation: list.generation },
    member,
  );
  return { leave, bytes: encodeGroup(leave) };
}

/**
 * Checks a leave against the list held before it takes effect (docs/groups.md §4.4): it decodes;
 * same group; the leaver is a member other than the admin; it came from the leaver itself (to the
 * admin) or from the admin (relayed to the members); the signature verifies; it was signed during
 * the current membership (`since` ≤ generation ≤ held generation), so a leave from an earlier
 * membership cannot remove someone who came back.
 */
export function checkLeave(o: {
  held: SignedList;
  bytes: Uint8Array;
  relayedBy: Uint8Array;
}): { ok: true; leave: Leave } | Failure<LeaveErrorCode> {
  const list = o.held.list;
  const d = decodeForReceiver(o.bytes, 'leave', list.group, LEAVE_REFUSALS);
  if (!d.ok) return d;
  const leave = d.message;
  const member = findMember(list, leave.member);
  if (!member || compareBytes(leave.member, list.admin) === 0)
    return leaveBad('GROUP_LEAVE_NOT_MEMBER', 'member', 'the leaver is not a member (or is the admin)');
  if (compareBytes(o.relayedBy, leave.member) !== 0 && compareBytes(o.relayedBy, list.admin) !== 0)
    return leaveBad('GROUP_LEAVE_BAD_RELAY', 'relay', 'a leave comes from the leaver or the admin, not a third member');
  if (!verifyGroupSignature(leave))
    return leaveBad('GROUP_LEAVE_FORGED', 'signature', "the leaver's signature does not verify");
  if (leave.generation < member.since || leave.generation > list.generation)
    return leaveBad('GROUP_LEAVE_STALE', 'generation', 'the leave was signed during an earlier membership: ignored');
  return { ok: true, leave };
}

function vouchBad(code: VouchErrorCode, step: string, message: string): Failure<VouchErrorCode> {
  return failure(code, 'receiver', `group vouch: ${step}`, message);
}

function leaveBad(code: LeaveErrorCode, step: string, message: string): Failure<LeaveErrorCode> {
  return failure(code, 'receiver', `group leave: ${step}`, message);
}
