/**
 * Files in a group on this device (docs/groups.md §7): the sender's shelf of offered files (kept in
 * memory while the page lives), the offer as a timeline message, the sender's answer to a member's
 * `file-request` (an ordinary pairwise transfer, or the typed refusal `file-gone`), and the
 * member's answer rows. No Svelte here: `group-file-flow.ts` wires it to the transfers.
 * @module
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { t } from './strings';
import { checkFileRequest, groupFileGone, groupFileOffer, groupFileRequest } from '../core/group-files';
import { composeGroupMessage, fanOutTo } from '../core/group-order';
import { decodeFor } from '../core/group-signed';
import type { GroupFile } from '../core/group-wire';
import { createFastSha256 } from '../net/fast-sha256';
import { safeName, safeType } from '../net/transfer-names';
import type { GroupMessageRecord } from '../store/group-records';
import type { GroupStep } from './group-step';

/** Offers one group keeps served; an older one is dropped and answered `file-gone` (docs/groups.md §11). */
export const MAX_KEPT_OFFERS_PER_GROUP = 8;
/** Offers kept served across all groups. */
export const MAX_KEPT_OFFERS = 32;
/** Bytes of files referenced by kept offers (Files are references to disk, not copies in memory). */
export const MAX_KEPT_BYTES = 16 * 1024 ** 3;

/** What the engine asks of the sender's side when a member requests an offer (docs/groups.md §7). */
export interface GroupFileServer {
  /** Ids of this device's offers in `group` that it still serves. */
  offers(group: string): Uint8Array[];
  /** Starts the pairwise transfer of an offer to `member` (hex) over peer `peer`; false if refused (served already). */
  serve(o: { group: string; offerId: string; member: string; peer: string }): boolean;
}

interface KeptOffer {
  group: string;
  files: File[];
  bytes: number;
  /** Members (hex) this offer went to already: one transfer per member per offer and page life. */
  served: Set<string>;
}

/** The sender's offered files, in memory, in the order offered (docs/groups.md §7 "Sender"). */
export class GroupFileShelf {
  private readonly kept = new Map<string, KeptOffer>();

  /** Keeps `files` as offer `offerId` of `group`, dropping the oldest offers beyond the bounds. */
  keep(group: string, offerId: string, files: File[]): void {
    const bytes = files.reduce((n, f) => n + f.size, 0);
    this.kept.set(offerId, { group, files, bytes, served: new Set() });
    const ofGroup = [...this.kept].filter(([, k]) => k.group === group);
    for (const [id] of ofGroup.slice(0, Math.max(0, ofGroup.length - MAX_KEPT_OFFERS_PER_GROUP))) this.kept.delete(id);
    while (this.kept.size > MAX_KEPT_OFFERS || this.total() > MAX_KEPT_BYTES) {
      const oldest = this.kept.keys().next().value!;
      if (oldest === offerId) break;
      this.kept.delete(oldest);
    }
  }

  /** True if `bytes` more fit under {@link MAX_KEPT_BYTES} on their own. */
  fits(bytes: number): boolean {
    return bytes <= MAX_KEPT_BYTES;
  }

  offers(group: string): Uint8Array[] {
    return [...this.kept].filter(([, k]) => k.group === group).map(([id]) => hexToBytes(id));
  }

  /** The files of an offer for `member`, once: null if unknown or served to them already. */
  take(offerId: string, member: string): File[] | null {
    const k = this.kept.get(offerId);
    if (!k || k.served.has(member)) return null;
    k.served.add(member);
    return k.files;
  }

  private total(): number {
    let n = 0;
    for (const k of this.kept.values()) n += k.bytes;
    return n;
  }
}

/** SHA-256 of a blob, read as a stream (WebAssembly when it can be had). */
export async function sha256OfBlob(blob: Blob): Promise<Uint8Array> {
  const h = await createFastSha256();
  const reader = blob.stream().getReader();
  for (;;) {
    const r = await reader.read();
    if (r.done) return h.digest();
    h.update(r.value);
  }
}

/**
 * The group offer's description of `files` (docs/groups.md §7): cleaned name and type as the
 * pairwise transfer offer will carry them, size, and the SHA-256 of the content (read once now).
 */
export async function describeFiles(files: readonly File[]): Promise<GroupFile[]> {
  const out: GroupFile[] = [];
  for (const f of files)
    out.push({ name: safeName(f.name), type: safeType(f.type), size: f.size, sha256: await sha256OfBlob(f) });
  return out;
}

/** Writes an own file offer to the group: stored with the timeline, one copy per member queued. */
export function offerFiles(step: GroupStep, files: readonly GroupFile[]): string {
  const me = step.ctx.me.publicKey;
  const held = step.held;
  const body = groupFileOffer(files, step.ctx.random);
  const c = composeGroupMessage(step.rec.timeline, { me, held, body, now: step.ctx.now });
  step.rec = { ...step.rec, timeline: c.timeline };
  const row = step.message(c.message, true, c.bytes);
  for (const k of fanOutTo(held, me)) step.sendRef(bytesToHex(k), row.id);
  return bytesToHex(body.offerId);
}

/**
 * The sender takes a member's `file-request` (docs/groups.md §7): checked (`checkFileRequest`);
 * served once per member; an offer this page no longer holds is refused with `file-gone` to a
 * current member. Anything else (non-member, malformed, repeated) is dropped without an answer.
 */
export function receiveFileRequest(step: GroupStep, bytes: Uint8Array, from: string, server: GroupFileServer): void {
  const r = checkFileRequest({ held: step.held, bytes, from: hexToBytes(from), myOffers: server.offers(step.rec.id) });
  if (r.ok) {
    server.serve({ group: step.rec.id, offerId: bytesToHex(r.offerId), member: from, peer: step.ctx.peerOf(from) });
    return;
  }
  if (r.code !== 'GROUP_FILE_UNKNOWN_OFFER') return;
  const d = decodeFor(bytes, 'file-request', step.held.list.group);
  if (d.ok) step.send(from, groupFileGone(step.held.list.group, d.message.offerId));
}

/** The offer row a `file-gone` from `from` answers, if this member requested it (else null). */
export function goneRow(
  rows: readonly GroupMessageRecord[],
  group: Uint8Array,
  bytes: Uint8Array,
  from: string,
): GroupMessageRecord | null {
  const d = decodeFor(bytes, 'file-gone', group);
  if (!d.ok) return null;
  const id = bytesToHex(d.message.offerId);
  return rows.find((r) => r.offer?.id === id && r.sender === from && r.answer === 'requested') ?? null;
}

/** The member asks the offer's sender for it (docs/groups.md §7); a problem sentence if it cannot. */
export function requestFile(step: GroupStep, row: GroupMessageRecord | undefined): string | null {
  if (!row?.offer || row.own) return t.groupFile.notHere;
  if (row.answer && row.answer !== 'declined') return null; // asked already, or answered
  step.send(row.sender, groupFileRequest(step.held.list.group, hexToBytes(row.offer.id)));
  step.messages.push({ ...row, answer: 'requested' });
  return null;
}
