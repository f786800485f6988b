/**
 * Group codec: the bytes of every group protocol message, carried in the tail of a wire `group`
 * message inside a pairwise ratchet (DESIGN.md "Groups"; docs/groups.md §2).
 *
 * Layout: `version u8 = 1 ‖ type u8 ‖ group id [32] ‖ fields`, integers big-endian. Each type is a
 * fixed field schema (below), so encoding and decoding are one table walk; a decoded message
 * re-encodes to exactly its bytes (canonical), and the decoder refuses anything else with a
 * typed failure. Signed types end in a 64-byte Ed25519 signature over a label and every byte
 * before it (`group.ts`); this module only frames it.
 * @module
 */
import { failure, type Failure } from './errors';
import { concatParts, FieldError, FieldReader, writeFields, type Field } from './group-codec';
import { compareBytes } from './identity';
import { cleanDisplayName, MAX_INVITE_NAME_BYTES } from './invite';
import { fileNameProblem, MAX_TYPE_BYTES } from './transfer-codec';

/** Version byte of the group codec (docs/groups.md §2). */
export const GROUP_VERSION = 1;
/** Most members a list may hold, the admin included (docs/groups.md §11). */
export const MAX_GROUP_MEMBERS = 50;
/** Longest group or member name in UTF-8 bytes: as display names elsewhere (docs/protocol-app.md §2). */
export const MAX_GROUP_NAME_BYTES = MAX_INVITE_NAME_BYTES;
/** Largest encoded group message: the chat text cap, so it fits a wire message inside a ratchet (docs/groups.md §2). */
export const MAX_GROUP_BYTES = 64512;
/** Bytes of a text message before its text (docs/groups.md §2). */
export const TEXT_HEADER_BYTES = 2 + 32 + 32 + 8 + 4 + 6 + 6 + 6;
/** Longest group text in UTF-8 bytes (docs/groups.md §2). */
export const MAX_GROUP_TEXT_BYTES = MAX_GROUP_BYTES - TEXT_HEADER_BYTES;
/** Most files in one group file offer (docs/groups.md §7). */
export const MAX_GROUP_FILES = 16;
/** Largest value of a u48 field (Lamport clocks, sequence numbers, times in ms). */
export const MAX_U48 = 2 ** 48 - 1;
/** The feature a link must announce before either side sends a wire `group` message (docs/groups.md §9). */
export const GROUPS_FEATURE = 'groups';

/** A member as the admin's list names it (docs/groups.md §3). */
export interface GroupMember {
  /** Ed25519 public key, 32 bytes. */
  key: Uint8Array;
  /** Display name the admin put on the list. */
  name: string;
  /** The list generation that (last) added this member. */
  since: number;
}
/** What every ordered group message carries (docs/groups.md §6.1). */
export interface GroupStamp {
  sender: Uint8Array;
  /** 8 random bytes per sender state: a new device or a re-join starts a new numbering. */
  epoch: Uint8Array;
  /** The list generation the sender held when it sent. */
  generation: number;
  seq: number;
  lamport: number;
  sentAt: number;
}
/** One file of a group file offer (docs/groups.md §7). */
export interface GroupFile {
  name: string;
  type: string;
  size: number;
  sha256: Uint8Array;
}
/** The admin's answer to a vouch (docs/groups.md §4). */
export type VouchOutcome =
  'added' | 'refused' | 'full' | 'already-member' | 'not-member' | 'expired' | 'not-admin' | 'replayed';
const OUTCOMES: readonly VouchOutcome[] = [
  'added',
  'refused',
  'full',
  'already-member',
  'not-member',
  'expired',
  'not-admin',
  'replayed',
];

/** A decoded group message (docs/groups.md §2); `group` is the 32-byte group id. */
export type GroupMessage =
  | {
      type: 'list';
      group: Uint8Array;
      admin: Uint8Array;
      salt: Uint8Array;
      generation: number;
      lamport: number;
      name: string;
      members: GroupMember[];
      signature: Uint8Array;
    }
  | {
      type: 'vouch';
      group: Uint8Array;
      voucher: Uint8Array;
      newcomer: Uint8Array;
      vouchId: Uint8Array;
      generation: number;
      createdAt: number;
      name: string;
      signature: Uint8Array;
    }
  | { type: 'vouch-result'; group: Uint8Array; vouchId: Uint8Array; outcome: VouchOutcome; generation: number }
  | { type: 'leave'; group: Uint8Array; member: Uint8Array; generation: number; signature: Uint8Array }
  | {
      type: 'intro';
      group: Uint8Array;
      from: Uint8Array;
      to: Uint8Array;
      introId: Uint8Array;
      rendezvousSecret: Uint8Array;
      expiresAt: number;
      signature: Uint8Array;
    }
  | ({ type: 'text'; group: Uint8Array; text: string } & GroupStamp)
  | ({ type: 'hello'; group: Uint8Array; name: string } & GroupStamp)
  | ({ type: 'file-offer'; group: Uint8Array; offerId: Uint8Array; files: GroupFile[] } & GroupStamp)
  | { type: 'file-request'; group: Uint8Array; offerId: Uint8Array }
  | { type: 'file-gone'; group: Uint8Array; offerId: Uint8Array };

/** A group message of one type, e.g. `GroupMessageOf<'list'>`. */
export type GroupMessageOf<T extends GroupMessage['type']> = Extract<GroupMessage, { type: T }>;
/** A signed group message before it is signed (docs/groups.md §2). */
export type UnsignedGroupMessage =
  GroupMessageOf<'list' | 'vouch' | 'leave' | 'intro'> extends infer M
    ? M extends GroupMessage
      ? Omit<M, 'signature'>
      : never
    : never;
/** Why bytes were refused (docs/groups.md §2). */
export type GroupCodecErrorCode = 'GROUP_MALFORMED' | 'GROUP_VERSION' | 'GROUP_TOO_LARGE' | 'GROUP_TOO_MANY_MEMBERS';
/** Result of {@link decodeGroup}. */
export type DecodeGroupResult = { ok: true; message: GroupMessage } | Failure<GroupCodecErrorCode>;

const fixed = (n: string, len: number): Field => ({ n, k: 'fixed', len });
const u = (n: string, width: 1 | 4 | 6 | 8): Field => ({ n, k: 'uint', width });
const nameField = (n: string): Field => ({
  n,
  k: 'str',
  min: 1,
  max: MAX_GROUP_NAME_BYTES,
  check: (s) => (isCanonicalName(s) ? null : 'not a canonical display name (NFC, trimmed, no control characters)'),
});
const STAMP: Field[] = [
  fixed('sender', 32),
  fixed('epoch', 8),
  u('generation', 4),
  u('seq', 6),
  u('lamport', 6),
  u('sentAt', 6),
];
const FILE: Field[] = [
  { n: 'name', k: 'str', min: 1, max: 255, check: fileNameProblem },
  { n: 'type', k: 'str', min: 0, max: MAX_TYPE_BYTES, check: (s) => (/\p{Cc}/u.test(s) ? 'control characters' : null) },
  u('size', 8),
  fixed('sha256', 32),
];
const SIG = fixed('signature', 64);
const MEMBER: Field[] = [fixed('key', 32), u('since', 4), nameField('name')];
/** Field schemas by type, in type-code order (code = index + 1); every type starts with the group id. */
const SCHEMAS: [GroupMessage['type'], Field[]][] = [
  [
    'list',
    [
      fixed('admin', 32),
      fixed('salt', 32),
      u('generation', 4),
      u('lamport', 6),
      nameField('name'),
      { n: 'members', k: 'array', max: MAX_GROUP_MEMBERS, of: MEMBER },
      SIG,
    ],
  ],
  [
    'vouch',
    [
      fixed('voucher', 32),
      fixed('newcomer', 32),
      fixed('vouchId', 16),
      u('generation', 4),
      u('createdAt', 6),
      nameField('name'),
      SIG,
    ],
  ],
  ['vouch-result', [fixed('vouchId', 16), { n: 'outcome', k: 'enum', values: OUTCOMES }, u('generation', 4)]],
  ['leave', [fixed('member', 32), u('generation', 4), SIG]],
  [
    'intro',
    [fixed('from', 32), fixed('to', 32), fixed('introId', 16), fixed('rendezvousSecret', 32), u('expiresAt', 6), SIG],
  ],
  ['text', [...STAMP, { n: 'text', k: 'text' }]],
  ['hello', [...STAMP, nameField('name')]],
  ['file-offer', [...STAMP, fixed('offerId', 16), { n: 'files', k: 'array', max: MAX_GROUP_FILES, of: FILE }]],
  ['file-request', [fixed('offerId', 16)]],
  // Appended: type codes are positions, so older codes keep their meaning (docs/groups.md §7).
  ['file-gone', [fixed('offerId', 16)]],
].map(([t, f]) => [t as GroupMessage['type'], [fixed('group', 32), ...(f as Field[])]]);
const SCHEMA = new Map(SCHEMAS.map(([t, f], i) => [t, { code: i + 1, fields: f }]));
const TYPE_BY_CODE = new Map(SCHEMAS.map(([t], i) => [i + 1, t]));
/** Types whose last field is a signature (docs/groups.md §2). */
export const SIGNED_GROUP_TYPES: ReadonlySet<GroupMessage['type']> = new Set(['list', 'vouch', 'leave', 'intro']);

/** True if `name` is a display name in canonical form: what `cleanDisplayName` leaves unchanged (docs/groups.md §2). */
export function isCanonicalName(name: unknown): name is string {
  return typeof name === 'string' && name !== '' && cleanDisplayName(name, MAX_GROUP_NAME_BYTES) === name;
}

/** Encodes a group message (docs/groups.md §2). Throws a `TypeError`/`RangeError` naming the bad field. */
export function encodeGroup(m: GroupMessage): Uint8Array {
  return encode(m, true);
}

/**
 * The bytes a signed message's signature covers (docs/groups.md §2): the encoding of every field
 * before the signature. Throws for a type that is not signed.
 */
export function encodeGroupUnsigned(m: UnsignedGroupMessage | GroupMessage): Uint8Array {
  if (!SIGNED_GROUP_TYPES.has(m?.type)) throw new TypeError(`m.type: ${String(m?.type)} is not a signed type`);
  return encode(m as GroupMessage, false);
}

function encode(m: GroupMessage, withSignature: boolean): Uint8Array {
  const schema = SCHEMA.get(m?.type);
  if (!schema) throw new TypeError(`m.type: unknown group message type ${String((m as { type?: unknown })?.type)}`);
  const parts: Uint8Array[] = [Uint8Array.of(GROUP_VERSION, schema.code)];
  const fields = withSignature || !SIGNED_GROUP_TYPES.has(m.type) ? schema.fields : schema.fields.slice(0, -1);
  writeFields(parts, fields, m as unknown as Record<string, unknown>, 'm');
  const problem = rules(m);
  if (problem) throw new RangeError(`m.${problem}`);
  const out = concatParts(parts);
  if (out.length > MAX_GROUP_BYTES) throw new RangeError(`m: ${out.length} bytes, at most ${MAX_GROUP_BYTES}`);
  return out;
}

/**
 * Decodes and validates a group message from a peer (docs/groups.md §2). Never throws on bad
 * bytes: a failure names the field. Only the shape is judged here; signatures, membership and
 * freshness are the protocol modules' (`group.ts`, `group-join.ts`, `group-intro.ts`, `group-order.ts`).
 */
export function decodeGroup(bytes: Uint8Array): DecodeGroupResult {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`bytes: expected Uint8Array, got ${typeof bytes}`);
  if (bytes.length > MAX_GROUP_BYTES)
    return bad(
      'GROUP_TOO_LARGE',
      'size',
      `group message of ${bytes.length} bytes is over the ${MAX_GROUP_BYTES}-byte limit`,
    );
  if (bytes.length < 2)
    return bad('GROUP_MALFORMED', 'prefix', 'group message shorter than its version and type bytes');
  if (bytes[0] !== GROUP_VERSION)
    return bad(
      'GROUP_VERSION',
      'version',
      `group message version ${bytes[0]} is not supported (this app speaks ${GROUP_VERSION}; one side needs an update)`,
    );
  const type = TYPE_BY_CODE.get(bytes[1]!);
  if (type === undefined)
    return bad('GROUP_MALFORMED', 'type', `unknown group message type ${bytes[1]} (the peer may run a newer Parley)`);
  let message: GroupMessage;
  try {
    const reader = new FieldReader(bytes, 2);
    message = { type, ...reader.read(SCHEMA.get(type)!.fields, type) } as GroupMessage;
    if (!reader.done) throw new FieldError(type, 'unexpected bytes after the last field');
  } catch (e) {
    if (!(e instanceof FieldError)) throw e;
    if (e.tooMany)
      return bad(
        'GROUP_TOO_MANY_MEMBERS',
        e.field,
        `${e.field}: more than ${MAX_GROUP_MEMBERS} members (the limit is ${MAX_GROUP_MEMBERS})`,
      );
    return bad('GROUP_MALFORMED', e.field, `${type}: ${e.message}`);
  }
  const problem = rules(message);
  if (problem) return bad('GROUP_MALFORMED', `${type}.${problem.split(':')[0]}`, `${type}: ${problem}`);
  return { ok: true, message };
}

function bad(code: GroupCodecErrorCode, step: string, message: string): Failure<GroupCodecErrorCode> {
  return failure(code, 'receiver', `group: ${step}`, message);
}

/**
 * Rules beyond the field shapes (docs/groups.md §2), or null: a list's members ascend strictly by
 * key and include the admin; `since` ≤ generation; counters start at 1; a hello is exactly seq 1.
 */
function rules(m: GroupMessage): string | null {
  switch (m.type) {
    case 'list':
      if (m.generation < 1 || m.lamport < 1) return 'generation, lamport: at least 1';
      if (m.members.some((x, i) => i > 0 && compareBytes(m.members[i - 1]!.key, x.key) >= 0))
        return 'members: must ascend strictly by key (no duplicates)';
      if (!m.members.some((x) => compareBytes(x.key, m.admin) === 0)) return 'members: must include the admin';
      return m.members.some((x) => x.since < 1 || x.since > m.generation) ? 'members.since: 1..generation' : null;
    case 'vouch':
      if (m.generation < 1) return 'generation: at least 1';
      return compareBytes(m.voucher, m.newcomer) === 0 ? 'newcomer: must differ from the voucher' : null;
    case 'vouch-result':
      return (m.outcome === 'added') !== m.generation > 0 ? 'generation: > 0 exactly when added' : null;
    case 'leave':
      return m.generation < 1 ? 'generation: at least 1' : null;
    case 'intro':
      return compareBytes(m.from, m.to) === 0 ? 'to: must differ from from' : null;
    case 'file-request':
    case 'file-gone':
      return null;
    default:
      if (m.generation < 1 || m.seq < 1 || m.lamport < 1) return 'generation, seq, lamport: at least 1';
      return (m.type === 'hello') !== (m.seq === 1) ? 'seq: a hello is exactly seq 1' : null;
  }
}
