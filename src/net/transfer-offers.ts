/**
 * Offers, both ways, for the `TransferManager` (docs/files.md §8): describing the files of an
 * outgoing offer (name, type, size and chunk size; nothing is read before the offer, §11), and the limits on what a contact's offers can make this browser store and show ("Offer
 * flood", "Offer size": unanswered offers, offers per minute, transfers and files kept).
 * Split out of `transfers.ts`; no behaviour of its own.
 * @module
 */
import { chooseChunkSize, chunkCount, type DeclineReason, type FileOffer, type TransferStatus } from '../core/transfer';
import { TokenBucket, type RateSpec } from '../core/rate-budget';
import { blobReader } from './file-store';
import { safeName, safeType } from './transfer-names';

/** A file to send: a browser `File`, or any Blob with a name. */
export type OutgoingFile = Blob & { name: string };

/** Incoming offers the user has not answered yet; more are declined as `busy`. */
export const MAX_UNANSWERED_OFFERS = 32;

/**
 * Most chunks in one incoming offer (all files): 64 GiB at 64 KiB chunks (review-2026-11 I5).
 * Set when the receiver held 32 bytes of hash list per chunk; since docs/files.md §11 it holds a
 * fixed few numbers per file, so this bound could be raised (left as it was for now).
 */
export const MAX_INCOMING_CHUNKS = 2 ** 20;

/**
 * New incoming offers a contact may make: a burst of 32, then one every 10 s (docs/files.md
 * "Offer flood"). Offers past it are declined `busy` unseen and unstored.
 */
export const OFFER_RATE: RateSpec = { capacity: 32, perSecond: 0.1 };

/**
 * Incoming transfers kept per contact, in any state (offered, active, ended). A new offer past
 * it makes room by forgetting the oldest ended one that holds nothing for the person (declined,
 * cancelled, failed, or saved and removed); if none can go, the offer is declined `busy`.
 */
export const MAX_INCOMING_RECORDS = 100;

/** Files in all the incoming transfers kept per contact (a record costs up to ~1 KB per file); same rule. */
export const MAX_INCOMING_FILES = 2048;

/** Unknown transfer ids whose sender was told `cancel`, remembered per contact (oldest forgotten first). */
export const MAX_TOLD_IDS = 1024;

/** Why an incoming offer was declined unseen: the reason the sender hears, and which bound. */
export interface Refusal {
  reason: DeclineReason;
  bound: 'size' | 'unanswered' | 'rate' | 'records';
}

/** An incoming transfer as the limits see it. */
export interface KeptIncoming {
  id: string;
  createdAt: number;
  files: number;
  status: TransferStatus;
  /** Saved by the person and its data removed: nothing left but the line in the chat. */
  purged: boolean;
}

/** Ended without anything the person could still want: may be forgotten to make room. */
function forgettable(t: KeptIncoming): boolean {
  return (
    t.status === 'declined' || t.status === 'cancelled' || t.status === 'failed' || (t.status === 'done' && t.purged)
  );
}

/**
 * The receiving side's limits on one contact's offers (docs/files.md "Offer flood", "Offer
 * size"): {@link judge} says whether a new offer is declined unseen, or which old transfers to
 * forget to keep it.
 */
export class IncomingOffers {
  readonly #rate: TokenBucket;

  constructor(
    readonly maxIncomingBytes: number,
    now: number,
  ) {
    this.#rate = new TokenBucket(OFFER_RATE, now);
  }

  /**
   * A new offer of `files` from the contact, with `kept` its incoming transfers held now: a
   * refusal, or the ids to forget (oldest first) so that at most {@link MAX_INCOMING_RECORDS}
   * transfers and {@link MAX_INCOMING_FILES} files are kept with it.
   */
  judge(files: readonly FileOffer[], kept: readonly KeptIncoming[], now: number): Refusal | { forget: string[] } {
    const bytes = files.reduce((n, f) => n + f.size, 0),
      chunks = files.reduce((n, f) => n + chunkCount(f.size, f.chunkSize), 0);
    if (bytes > this.maxIncomingBytes || chunks > MAX_INCOMING_CHUNKS) return { reason: 'too-large', bound: 'size' };
    // A peer flooding offers gets "busy" instead of filling the UI and the database.
    if (kept.filter((t) => t.status === 'offered').length >= MAX_UNANSWERED_OFFERS)
      return { reason: 'busy', bound: 'unanswered' };
    const room = roomFor(files.length, kept);
    if (!room.fits) return { reason: 'busy', bound: 'records' };
    if (!this.#rate.take(now)) return { reason: 'busy', bound: 'rate' };
    return { forget: room.forget };
  }
}

/**
 * The oldest forgettable transfers to drop so that `kept` plus one more transfer of `files` files
 * stays within the limits, and whether that is enough (`fits`).
 */
export function roomFor(files: number, kept: readonly KeptIncoming[]): { forget: string[]; fits: boolean } {
  let records = kept.length + 1,
    total = kept.reduce((n, t) => n + t.files, 0) + files;
  const forget: string[] = [];
  for (const t of [...kept].sort((a, b) => a.createdAt - b.createdAt)) {
    if (records <= MAX_INCOMING_RECORDS && total <= MAX_INCOMING_FILES) break;
    if (!forgettable(t)) continue;
    forget.push(t.id);
    records--;
    total -= t.files;
  }
  return { forget, fits: records <= MAX_INCOMING_RECORDS && total <= MAX_INCOMING_FILES };
}

/**
 * The offer's description of outgoing files (docs/files.md §11): cleaned name and type, size and
 * chunk size; nothing is read here (the sender hashes as it sends). Returns it and the reader
 * the sender uses.
 */
export function prepareOutgoing(
  blobs: readonly OutgoingFile[],
  o: { chunkSize: number },
): { prepared: FileOffer[]; read: ReturnType<typeof blobReader> } {
  const prepared = blobs.map((f) => {
    const info = { name: safeName(f.name), type: safeType(f.type), size: f.size };
    return { ...info, chunkSize: chooseChunkSize(f.size, o.chunkSize) };
  });
  return { prepared, read: blobReader(blobs) };
}
