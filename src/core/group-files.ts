/**
 * Files in a group: an offer to the whole group, which each member accepts on its own by asking
 * the sender for it; the file then travels over that pair's own transfer path (`transfer.ts`,
 * under the link's file key), exactly as between contacts (DESIGN.md "Groups"; docs/groups.md §7).
 *
 * The offer is a timeline message (`file-offer`, stamped like a text, see `group-order.ts`) that
 * names each file by name, media type, size and SHA-256. A member who wants it sends the sender
 * `file-request {offerId}` over their pairwise session; the sender answers with an ordinary
 * transfer offer of the same files, which the member's app accepts without asking again because it
 * {@link matchesGroupOffer}. Declining is silent: a member who does not ask gets nothing.
 * @module
 */
import { failure, type Failure } from './errors';
import { findMember, type SignedList } from './group';
import { encodeGroup, type GroupFile } from './group-wire';
import { decodeForReceiver } from './group-signed';
import { compareBytes, randomBytesFrom, type RandomSource } from './identity';
import type { FileOffer } from './transfer-codec';

/** Why a file request was refused (docs/groups.md §7). */
export type FileRequestErrorCode =
  'GROUP_FILE_MALFORMED' | 'GROUP_FILE_WRONG_GROUP' | 'GROUP_FILE_NOT_MEMBER' | 'GROUP_FILE_UNKNOWN_OFFER';

/** The body of a new group file offer with a fresh offer id (docs/groups.md §7); compose it with `composeGroupMessage`. */
export function groupFileOffer(
  files: readonly GroupFile[],
  random: RandomSource,
): {
  type: 'file-offer';
  offerId: Uint8Array;
  files: GroupFile[];
} {
  if (!Array.isArray(files)) throw new TypeError('files: expected an array');
  return { type: 'file-offer', offerId: randomBytesFrom(random, 16), files: files.map((f) => ({ ...f })) };
}

/** A member's request for a group file offer, to send its sender (docs/groups.md §7). */
export function groupFileRequest(group: Uint8Array, offerId: Uint8Array): Uint8Array {
  return encodeGroup({ type: 'file-request', group, offerId });
}

/**
 * The sender's typed refusal of a request for an offer it no longer serves (docs/groups.md §7: the
 * file was picked in a page that has since reloaded or closed), sent back to a current member only.
 */
export function groupFileGone(group: Uint8Array, offerId: Uint8Array): Uint8Array {
  return encodeGroup({ type: 'file-gone', group, offerId });
}

/**
 * The sender's checks of a file request from `from` (docs/groups.md §7): it decodes; same group;
 * `from` is on the current list (a removed member gets no file); the offer is one of this sender's
 * own (`myOffers`, the ids it offered and still serves).
 */
export function checkFileRequest(o: {
  held: SignedList;
  bytes: Uint8Array;
  from: Uint8Array;
  myOffers: readonly Uint8Array[];
}): { ok: true; offerId: Uint8Array } | Failure<FileRequestErrorCode> {
  const d = decodeForReceiver(o.bytes, 'file-request', o.held.list.group, {
    check: 'group file request',
    malformed: 'GROUP_FILE_MALFORMED',
    wrongGroup: 'GROUP_FILE_WRONG_GROUP',
  });
  if (!d.ok) return d;
  const r = d.message;
  if (!findMember(o.held.list, o.from))
    return bad('GROUP_FILE_NOT_MEMBER', 'member', 'the requester is not on the current list');
  if (!o.myOffers.some((id) => compareBytes(id, r.offerId) === 0))
    return bad('GROUP_FILE_UNKNOWN_OFFER', 'offer', 'no such offer of ours (withdrawn, or never made)');
  return { ok: true, offerId: r.offerId };
}

/**
 * True if a pairwise transfer offer carries exactly the files of a group offer, in order (same name,
 * media type and size): the member's app then accepts it as the answer to its request
 * (docs/groups.md §7). A transfer offer carries no content hash (docs/files.md §11); the group
 * offer's SHA-256 is what the transfer's end-of-file `digest` must then equal.
 */
export function matchesGroupOffer(
  group: readonly Pick<GroupFile, 'name' | 'type' | 'size'>[],
  transfer: readonly Pick<FileOffer, 'name' | 'type' | 'size'>[],
): boolean {
  return (
    group.length === transfer.length &&
    group.every((g, i) => {
      const t = transfer[i]!;
      return g.name === t.name && g.type === t.type && g.size === t.size;
    })
  );
}

function bad(code: FileRequestErrorCode, step: string, message: string): Failure<FileRequestErrorCode> {
  return failure(code, 'receiver', `group file request: ${step}`, message);
}
