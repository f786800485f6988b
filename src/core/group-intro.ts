/**
 * Introductions (seed 004's auto-kx through a group admin): a member who is not yet linked with
 * another makes a transitive invite for them, signs it, and the admin relays it over its pairwise
 * sessions; the two then meet at its rendezvous and run the secret handshake and the kx like any
 * contacts (DESIGN.md "Groups"; docs/groups.md §5).
 *
 * An intro carries `{group, from, to, introId, rendezvousSecret, expiresAt}` signed by `from`.
 * Unlike a contact invite it needs no invite secret: both sides already know each other's key
 * from the admin's list, so the handshake itself proves who is on the other end.
 * @module
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { assertBytes, failure, type Failure } from './errors';
import { findMember, type SignedList } from './group';
import { decodeForReceiver, signGroup, verifyGroupSignature, type DecodeRefusals } from './group-signed';
import { MAX_CLOCK_SKEW_MS, type SingleUseArrival } from './group-join';
import { ledgerAdd, ledgerHas, type SeenLedger } from './group-ledger';
import { encodeGroup, type GroupMessageOf } from './group-wire';
import { compareBytes, randomBytesFrom, type Identity, type RandomSource } from './identity';

/** Longest lifetime of an intro, and its default (docs/groups.md §5.3). */
export const MAX_INTRO_TTL_MS = 7 * 24 * 60 * 60 * 1000;
/** Why an intro was refused (docs/groups.md §5.3). */
export type IntroErrorCode =
  | 'GROUP_INTRO_MALFORMED'
  | 'GROUP_INTRO_WRONG_GROUP'
  | 'GROUP_INTRO_NOT_FOR_ME'
  | 'GROUP_INTRO_NOT_MEMBER'
  | 'GROUP_INTRO_BAD_RELAY'
  | 'GROUP_INTRO_FORGED'
  | 'GROUP_INTRO_EXPIRED'
  | 'GROUP_INTRO_REPLAYED'
  | 'GROUP_INTRO_BUSY';
/** An accepted intro, and how to use it (docs/groups.md §5.4). */
export interface AcceptedIntro {
  intro: GroupMessageOf<'intro'>;
  /** True when this side dials (the SHS client): its key is the lower of the two, as between contacts. */
  dials: boolean;
}

type Intro = GroupMessageOf<'intro'>;
const INTRO_REFUSALS: DecodeRefusals<IntroErrorCode> = {
  check: 'group intro',
  malformed: 'GROUP_INTRO_MALFORMED',
  wrongGroup: 'GROUP_INTRO_WRONG_GROUP',
};
const ROOM_INFO = utf8ToBytes('parley/group/intro-day/1');

/**
 * A signed intro from `me` to `to`, both on the held list, with a fresh rendezvous secret
 * (docs/groups.md §5.2). Keep the returned intro (its secret) until the two have met or it expired.
 * Throws if either is not a member, `to` is `me`, or `ttlMs` is not in 1 ms..7 days.
 */
export function makeIntro(o: {
  me: Identity;
  held: SignedList;
  to: Uint8Array;
  now: number;
  random: RandomSource;
  ttlMs?: number;
}): { intro: Intro; bytes: Uint8Array } {
  const list = o.held?.list;
  if (!list || !findMember(list, o.me?.publicKey)) throw new TypeError('me: not on the held list');
  if (!findMember(list, o.to)) throw new TypeError('to: not on the held list');
  if (compareBytes(o.to, o.me.publicKey) === 0) throw new RangeError('to: an intro is for another member');
  const ttl = o.ttlMs ?? MAX_INTRO_TTL_MS;
  if (!Number.isSafeInteger(ttl) || ttl < 1 || ttl > MAX_INTRO_TTL_MS) throw new RangeError('ttlMs: 1..7 days in ms');
  if (!Number.isSafeInteger(o.now) || o.now < 0) throw new TypeError('now: expected a time in ms');
  const intro = signGroup(
    {
      type: 'intro',
      group: list.group,
      from: o.me.publicKey,
      to: Uint8Array.from(o.to),
      introId: randomBytesFrom(o.random, 16),
      rendezvousSecret: randomBytesFrom(o.random, 32),
      expiresAt: o.now + ttl,
    },
    o.me,
  );
  return { intro, bytes: encodeGroup(intro) };
}

/**
 * The receiving member's checks (docs/groups.md §5.3), in this order: it decodes; same group; it is
 * addressed to this member; its maker is another member on the current list; the admin relayed it
 * (or, to the admin, any member did: the newcomer's only path to the admin is its voucher); the
 * maker's signature verifies; it has not expired and does not claim more than 7 days (+10 min of
 * clock skew); its id was not used before. On success the ledger records the id: single use.
 */
export function checkIntro(
  o: SingleUseArrival,
): ({ ok: true; ledger: SeenLedger } & AcceptedIntro) | Failure<IntroErrorCode> {
  const list = o.held.list;
  const d = decodeForReceiver(o.bytes, 'intro', list.group, INTRO_REFUSALS);
  if (!d.ok) return d;
  const intro = d.message;
  if (compareBytes(intro.to, o.me) !== 0)
    return bad('GROUP_INTRO_NOT_FOR_ME', 'to', 'the intro is addressed to another member');
  if (!findMember(list, intro.from))
    return bad('GROUP_INTRO_NOT_MEMBER', 'from', 'the intro was made by someone not on the current list');
  const toAdmin = compareBytes(o.me, list.admin) === 0;
  if (compareBytes(o.relayedBy, list.admin) !== 0 && !(toAdmin && findMember(list, o.relayedBy)))
    return bad('GROUP_INTRO_BAD_RELAY', 'relay', 'intros come through the admin; this one came from another member');
  if (!verifyGroupSignature(intro))
    return bad('GROUP_INTRO_FORGED', 'signature', "the maker's signature does not verify");
  if (o.now >= intro.expiresAt || intro.expiresAt > o.now + MAX_INTRO_TTL_MS + MAX_CLOCK_SKEW_MS)
    return bad(
      'GROUP_INTRO_EXPIRED',
      'freshness',
      'the intro expired (or claims to last over 7 days): ask for a new one',
    );
  if (ledgerHas(o.ledger, intro.introId, o.now))
    return bad('GROUP_INTRO_REPLAYED', 'id', 'this intro was already used');
  const ledger = ledgerAdd(o.ledger, intro.introId, intro.expiresAt, o.now);
  if (!ledger) return bad('GROUP_INTRO_BUSY', 'ledger', 'too many intros pending: try again later');
  return { ok: true, intro, ledger, dials: dialsIntro(o.me, intro.from) };
}

/**
 * The members `me` should make intros for (docs/groups.md §5.1): every member it is not `linked`
 * with (has no pairwise session with) and that it introduces itself to by the fixed rule: the
 * member added later introduces itself to the ones already there; two added by the same list
 * generation, the lower key does. So exactly one of any two unlinked members makes the intro,
 * and two intros never cross.
 */
export function introsToMake(held: SignedList, me: Uint8Array, linked: readonly Uint8Array[]): Uint8Array[] {
  const self = findMember(held?.list, me);
  if (!self) throw new TypeError('me: not on the held list');
  return held.list.members
    .filter((m) => compareBytes(m.key, me) !== 0 && !linked.some((k) => compareBytes(k, m.key) === 0))
    .filter((m) => self.since > m.since || (self.since === m.since && compareBytes(me, m.key) < 0))
    .map((m) => m.key);
}

/**
 * Whether the side with key `me` dials the other at an intro's rendezvous (is the SHS client):
 * the lower key, bytewise, the same fixed rule as between contacts (docs/groups.md §5.4).
 */
export function dialsIntro(me: Uint8Array, peer: Uint8Array): boolean {
  assertBytes('me', me, 32);
  assertBytes('peer', peer, 32);
  if (compareBytes(me, peer) === 0) throw new RangeError('peer: the same key as me');
  return compareBytes(me, peer) < 0;
}

/**
 * The rendezvous secret of an intro for one UTC day (docs/groups.md §5.4):
 * HKDF-SHA256(rendezvousSecret, info = "parley/group/intro-day/1" ‖ u64 BE day, 32). The room id
 * and sealing key then derive from it as from any rendezvous secret (`rendezvous.ts`), and the
 * room changes daily like contacts' rooms, so the relay cannot link one day's attempts to the next.
 */
export function introRoomSecret(rendezvousSecret: Uint8Array, day: number): Uint8Array {
  assertBytes('rendezvousSecret', rendezvousSecret, 32);
  if (!Number.isSafeInteger(day) || day < 0) throw new TypeError('day: expected a non-negative integer');
  const d = new Uint8Array(8);
  new DataView(d.buffer).setUint32(0, Math.floor(day / 2 ** 32));
  new DataView(d.buffer).setUint32(4, day % 2 ** 32);
  return hkdf(sha256, rendezvousSecret, undefined, concatBytes(ROOM_INFO, d), 32);
}

function bad(code: IntroErrorCode, step: string, message: string): Failure<IntroErrorCode> {
  return failure(code, 'receiver', `group intro: ${step}`, message);
}
