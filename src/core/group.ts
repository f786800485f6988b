/**
 * The group and its member list: an id that commits to the admin's key, and a list of members
 * signed by the admin with a generation number (DESIGN.md "Groups"; docs/groups.md §3).
 *
 * `id = SHA-256("parley/group-id/1" ‖ admin key ‖ salt)`, salt 32 random bytes. Every list carries
 * the admin key and the salt, so whoever holds a list checks that the id commits to the key that
 * signed it: a list with the same id and another admin cannot exist (it would need a SHA-256
 * second preimage). A list is accepted only if the commitment holds, the admin's signature is
 * valid (strict Ed25519), and its generation is above the one held.
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { assertBytes, failure, type Failure } from './errors';
import { signGroup, verifyGroupSignature } from './group-signed';
import { decodeGroup, encodeGroup, MAX_GROUP_MEMBERS, type GroupMember, type GroupMessageOf } from './group-wire';
import { compareBytes, isValidPublicKey, randomBytesFrom, type Identity, type RandomSource } from './identity';
import { cleanDisplayName } from './invite';

/** A list this device accepted (or made), with its exact signed bytes for forwarding (docs/groups.md §3). */
export interface SignedList {
  list: GroupMessageOf<'list'>;
  bytes: Uint8Array;
}
/** What a new list changed against the one held (docs/groups.md §3). */
export interface ListChanges {
  added: GroupMember[];
  removed: GroupMember[];
  renamed: { key: Uint8Array; from: string; to: string }[];
  /** Set when the group's own name changed. */
  groupName?: { from: string; to: string };
}
/** Why a list was refused (docs/groups.md §3.2). */
export type GroupListErrorCode =
  | 'GROUP_LIST_MALFORMED'
  | 'GROUP_LIST_TOO_MANY_MEMBERS'
  | 'GROUP_LIST_WRONG_GROUP'
  | 'GROUP_LIST_FORGED'
  | 'GROUP_LIST_REPLAYED'
  | 'GROUP_LIST_CONFLICT'
  | 'GROUP_LIST_ROLLED_BACK';
/** Result of {@link acceptList}. */
export type AcceptListResult = { ok: true; held: SignedList; changes: ListChanges } | Failure<GroupListErrorCode>;
/** A person to put on a list: key and display name (cleaned with `cleanDisplayName`). */
export interface NewMember {
  key: Uint8Array;
  name: string;
}

const ID_LABEL = utf8ToBytes('parley/group-id/1');
const MAX_GENERATION = 2 ** 32 - 1;

/** The group id an admin key and salt commit to (docs/groups.md §3.1). */
export function groupIdOf(admin: Uint8Array, salt: Uint8Array): Uint8Array {
  assertBytes('admin', admin, 32);
  assertBytes('salt', salt, 32);
  return sha256(concatBytes(ID_LABEL, admin, salt));
}

/** The member of `list` with `key`, if any. */
export function findMember(list: GroupMessageOf<'list'>, key: Uint8Array): GroupMember | undefined {
  return list.members.find((m) => compareBytes(m.key, key) === 0);
}

/**
 * Creates a group with `admin` as its admin and first member, and the chosen people, at
 * generation 1 (docs/groups.md §3.1). Throws on a bad argument (a key that is not a valid
 * Ed25519 point, a duplicate, more than 50 members, a name with nothing left after cleaning).
 */
export function createGroup(o: {
  admin: Identity;
  adminName: string;
  name: string;
  members: readonly NewMember[];
  random: RandomSource;
  lamport?: number;
}): SignedList {
  assertBytes('admin.publicKey', o.admin?.publicKey, 32);
  const salt = randomBytesFrom(o.random, 32);
  const people = [{ key: o.admin.publicKey, name: o.adminName }, ...(o.members ?? [])];
  const list = {
    type: 'list' as const,
    group: groupIdOf(o.admin.publicKey, salt),
    admin: Uint8Array.from(o.admin.publicKey),
    salt,
    generation: 1,
    lamport: o.lamport ?? 1,
    name: cleanName('name', o.name),
    members: sortMembers(people.map((p, i) => member(p, 1, i === 0 ? 'adminName' : `members[${i - 1}]`))),
  };
  return seal(list, o.admin);
}

/**
 * The admin's next list: generation + 1 with `add` added (their `since` = the new generation),
 * `remove` removed and, if given, the group renamed (docs/groups.md §3.3). `lamport` is the
 * admin's clock after counting this change (docs/groups.md §6.1). Throws if `admin` is not the
 * list's admin, on removing the admin, on adding a member twice or past 50 members.
 */
export function nextList(
  held: SignedList,
  admin: Identity,
  change: { add?: readonly NewMember[]; remove?: readonly Uint8Array[]; rename?: string; lamport: number },
): SignedList {
  const cur = held?.list;
  if (!cur || compareBytes(admin?.publicKey, cur.admin) !== 0) throw new TypeError('admin: not the admin of this list');
  if (cur.generation >= MAX_GENERATION) throw new RangeError('held: the generation counter is exhausted');
  const generation = cur.generation + 1;
  let members = cur.members.slice();
  for (const [i, key] of (change.remove ?? []).entries()) {
    if (compareBytes(key, cur.admin) === 0) throw new RangeError(`change.remove[${i}]: the admin cannot be removed`);
    if (!findMember(cur, key)) throw new RangeError(`change.remove[${i}]: not a member`);
    members = members.filter((m) => compareBytes(m.key, key) !== 0);
  }
  for (const [i, p] of (change.add ?? []).entries()) {
    if (members.some((m) => compareBytes(m.key, p?.key) === 0))
      throw new RangeError(`change.add[${i}]: already a member`);
    members.push(member(p, generation, `change.add[${i}]`));
  }
  const name = change.rename === undefined ? cur.name : cleanName('change.rename', change.rename);
  return seal({ ...cur, generation, lamport: change.lamport, name, members: sortMembers(members) }, admin);
}

function member(p: NewMember, since: number, at: string): GroupMember {
  if (!isValidPublicKey(p?.key)) throw new TypeError(`${at}.key: not a valid Ed25519 public key`);
  return { key: Uint8Array.from(p.key), name: cleanName(`${at}.name`, p.name), since };
}

function cleanName(at: string, name: string): string {
  const clean = typeof name === 'string' ? cleanDisplayName(name) : undefined;
  if (clean === undefined) throw new TypeError(`${at}: expected a display name with at least one visible character`);
  return clean;
}

function sortMembers(members: GroupMember[]): GroupMember[] {
  const sorted = members.slice().sort((a, b) => compareBytes(a.key, b.key));
  sorted.forEach((m, i) => {
    if (i > 0 && compareBytes(sorted[i - 1]!.key, m.key) === 0) throw new RangeError('members: a key appears twice');
  });
  if (sorted.length > MAX_GROUP_MEMBERS)
    throw new RangeError(`members: ${sorted.length}, at most ${MAX_GROUP_MEMBERS}`);
  return sorted;
}

function seal(list: Omit<GroupMessageOf<'list'>, 'signature'>, admin: Identity): SignedList {
  const signed = signGroup(list, admin);
  return { list: signed, bytes: encodeGroup(signed) };
}

/**
 * Judges a list from a peer against the one held (`null` when this device has none yet for the
 * group) (docs/groups.md §3.2). Checks, in order: it decodes as a list (≤ 50 members); its id is
 * the held one, or `expectId` for a first list; the id commits to its admin key; every key is a
 * valid point; the admin's signature verifies; the generation is above the held one.
 */
export function acceptList(
  held: SignedList | null,
  bytes: Uint8Array,
  opts: { expectId?: Uint8Array } = {},
): AcceptListResult {
  assertBytes('bytes', bytes);
  const d = decodeGroup(bytes);
  if (!d.ok)
    return d.code === 'GROUP_TOO_MANY_MEMBERS'
      ? bad('GROUP_LIST_TOO_MANY_MEMBERS', 'decode', d.message)
      : bad('GROUP_LIST_MALFORMED', 'decode', d.message);
  const list = d.message;
  if (list.type !== 'list') return bad('GROUP_LIST_MALFORMED', 'decode', `expected a list, got a ${list.type}`);
  const expectId = held?.list.group ?? opts.expectId;
  if (expectId && compareBytes(expectId, list.group) !== 0)
    return bad('GROUP_LIST_WRONG_GROUP', 'id', 'the list is for another group than the one it was sent for');
  const forged = forgery(held, list);
  if (forged) return bad('GROUP_LIST_FORGED', forged[0], forged[1]);
  if (held) {
    const stale = staleness(held, list, bytes);
    if (stale) return stale;
  }
  return { ok: true, held: { list, bytes: bytes.slice() }, changes: listChanges(held?.list ?? null, list) };
}

/** Why a decoded list is not the admin's, or null (docs/groups.md §3.2). */
function forgery(held: SignedList | null, list: GroupMessageOf<'list'>): [string, string] | null {
  if (compareBytes(groupIdOf(list.admin, list.salt), list.group) !== 0)
    return ['id', 'the group id does not commit to the admin key the list names: a forged list'];
  if (held && compareBytes(held.list.admin, list.admin) !== 0)
    return ['admin', "the list is signed by another key than the group's admin"];
  if (list.members.some((m) => !isValidPublicKey(m.key)))
    return ['keys', 'a member key is not a valid Ed25519 public key (small order or not a point)'];
  if (!verifyGroupSignature(list))
    return ['signature', "the admin's signature does not verify: the list was forged or altered"];
  return null;
}

function staleness(
  held: SignedList,
  list: GroupMessageOf<'list'>,
  bytes: Uint8Array,
): Failure<GroupListErrorCode> | null {
  const had = held.list.generation;
  if (list.generation < had)
    return bad(
      'GROUP_LIST_ROLLED_BACK',
      'generation',
      `generation ${list.generation} is older than the held ${had}: a rollback`,
    );
  if (list.generation > had) return null;
  return compareBytes(held.bytes, bytes) === 0
    ? bad('GROUP_LIST_REPLAYED', 'generation', `generation ${had} is already held (a repeat: nothing to do)`)
    : bad(
        'GROUP_LIST_CONFLICT',
        'generation',
        `the admin signed two different lists for generation ${had}: keep the first, and tell the person the admin misbehaves`,
      );
}

/** What changed from `old` (null: nothing held) to `next` (docs/groups.md §3.3). */
export function listChanges(old: GroupMessageOf<'list'> | null, next: GroupMessageOf<'list'>): ListChanges {
  const before = old?.members ?? [];
  const changes: ListChanges = {
    added: next.members.filter((m) => !before.some((b) => compareBytes(b.key, m.key) === 0 && b.since === m.since)),
    removed: before.filter((b) => !next.members.some((m) => compareBytes(b.key, m.key) === 0 && b.since === m.since)),
    renamed: [],
  };
  for (const m of next.members) {
    const b = before.find((x) => compareBytes(x.key, m.key) === 0 && x.since === m.since);
    if (b && b.name !== m.name) changes.renamed.push({ key: m.key, from: b.name, to: m.name });
  }
  if (old && old.name !== next.name) changes.groupName = { from: old.name, to: next.name };
  return changes;
}

function bad(code: GroupListErrorCode, step: string, message: string): Failure<GroupListErrorCode> {
  return failure(code, 'receiver', `group list: ${step}`, message);
}
