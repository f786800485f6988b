/**
 * Signed group messages, and reading any group message for one group (docs/groups.md §2): the
 * list, a vouch, a leave and an intro each carry an Ed25519 signature by the key the type names,
 * over `label ‖ every byte of the message before the signature`, one label per type, so no
 * signature of one type verifies as another or as any other Parley signature.
 * @module
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { assertBytes, failure, type Failure } from './errors';
import {
  decodeGroup,
  encodeGroupUnsigned,
  type GroupMessage,
  type GroupMessageOf,
  type UnsignedGroupMessage,
} from './group-wire';
import { compareBytes, type Identity } from './identity';
import { preVerify } from './shs-crypto';

type Signed = GroupMessageOf<'list' | 'vouch' | 'leave' | 'intro'>;
const LABELS: Record<Signed['type'], Uint8Array> = {
  list: utf8ToBytes('parley/group/list/1'),
  vouch: utf8ToBytes('parley/group/vouch/1'),
  leave: utf8ToBytes('parley/group/leave/1'),
  intro: utf8ToBytes('parley/group/intro/1'),
};

/** The key whose signature a signed group message must carry (docs/groups.md §2). */
export function signerOf(m: Signed): Uint8Array {
  switch (m.type) {
    case 'list':
      return m.admin;
    case 'vouch':
      return m.voucher;
    case 'leave':
      return m.member;
    case 'intro':
      return m.from;
  }
}

/**
 * Signs a group message with `signer`, who must be its {@link signerOf} (docs/groups.md §2).
 * Throws if the identity is not that key (a programmer's mistake).
 */
export function signGroup<M extends UnsignedGroupMessage>(m: M, signer: Identity): M & { signature: Uint8Array } {
  assertBytes('signer.secretKey', signer?.secretKey, 64);
  if (compareBytes(signerOf({ ...m, signature: new Uint8Array(64) } as Signed), signer.publicKey) !== 0)
    throw new TypeError(`signer: not the key that must sign this ${m.type}`);
  const message = concatBytes(LABELS[m.type], encodeGroupUnsigned(m));
  return { ...m, signature: ed25519.sign(message, signer.secretKey.subarray(0, 32)) };
}

/**
 * True if `m` carries a valid signature of its {@link signerOf}: strict Ed25519 (RFC 8032 with
 * canonical S and points, noble `zip215: false`), small-order keys and R refused (docs/groups.md §2).
 */
export function verifyGroupSignature(m: Signed): boolean {
  const key = signerOf(m);
  if (!preVerify(m.signature, key)) return false;
  try {
    return ed25519.verify(m.signature, concatBytes(LABELS[m.type], encodeGroupUnsigned(m)), key, { zip215: false });
  } catch {
    return false;
  }
}

/** A group message read as one type for one group, or why not (docs/groups.md §2). */
export type DecodedFor<T extends GroupMessage['type']> =
  { ok: true; message: GroupMessageOf<T> } | { ok: false; wrongGroup: boolean; message: string };

/**
 * Reads `bytes` as a group message of `type` for the group `group` (docs/groups.md §2): the first
 * two checks of every receiver. `wrongGroup` tells a well-formed message for another group from
 * bytes that are not a `type` at all.
 */
export function decodeFor<T extends GroupMessage['type']>(
  bytes: Uint8Array,
  type: T,
  group: Uint8Array,
): DecodedFor<T> {
  assertBytes('group', group, 32);
  const d = decodeGroup(bytes);
  if (!d.ok) return { ok: false, wrongGroup: false, message: d.message };
  if (d.message.type !== type)
    return { ok: false, wrongGroup: false, message: `expected a ${type}, got a ${d.message.type}` };
  if (compareBytes(d.message.group, group) !== 0)
    return { ok: false, wrongGroup: true, message: `the ${type} names another group` };
  return { ok: true, message: d.message as GroupMessageOf<T> };
}

/** A receiver's codes for the two ways {@link decodeFor} refuses, and the name of its check. */
export interface DecodeRefusals<C extends string> {
  /** Names the check in the failure's step, e.g. "group intro" (step "group intro: decode"). */
  check: string;
  /** Bytes that are not a message of the type at all (step "decode"). */
  malformed: C;
  /** A well-formed message of the type for another group (step "id"). */
  wrongGroup: C;
}

/**
 * The first two checks of a receiver (docs/groups.md §2, §4.4, §5.3, §7): {@link decodeFor},
 * with its refusal turned into the receiver's typed failure by `refusals`.
 */
export function decodeForReceiver<T extends GroupMessage['type'], C extends string>(
  bytes: Uint8Array,
  type: T,
  group: Uint8Array,
  refusals: DecodeRefusals<C>,
): { ok: true; message: GroupMessageOf<T> } | Failure<C> {
  const d = decodeFor(bytes, type, group);
  if (d.ok) return d;
  return d.wrongGroup
    ? failure(refusals.wrongGroup, 'receiver', `${refusals.check}: id`, d.message)
    : failure(refusals.malformed, 'receiver', `${refusals.check}: decode`, d.message);
}
