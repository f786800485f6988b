/**
 * How the chat shows a file transfer (docs/app.md "Files"): the view record that
 * `TransfersState` keeps per transfer, and the words and numbers made from it.
 * @module
 */
import type { TransferStatus } from '../core/transfer';
import type { TransferFileInfo } from '../net/transfer-types';
import { formatDuration, formatPercent, formatSpeed } from './format';
import { t as words } from './strings';

export { formatBytes } from './format';

/** One transfer as the chat shows it. */
export interface TransferView {
  id: string;
  direction: 'in' | 'out';
  files: TransferFileInfo[];
  status: TransferStatus;
  done: number;
  total: number;
  /** Bytes per second, 0 while unknown. */
  speed: number;
  etaMs: number | null;
  createdAt: number;
  /** Who cancelled, when known (a reload forgets it). */
  cancelledBy?: 'local' | 'peer';
  /** Why it failed, in words. */
  problem?: string;
  /** Object URLs of verified received files, by file index (null until verified). */
  urls: (string | null)[];
  /** The files the receiver accepted, ascending; `null` until the offer is answered (docs/app.md "Files"). */
  accepted: number[] | null;
  /** Received files the person saved (docs/app.md "Files", finished files). */
  saved: number[];
  /** Saved, then removed from this browser's storage at a later start: no download link any more. */
  purged: boolean;
}

/** How one file of a transfer stands: offered (not answered yet), skipped by the receiver, or accepted. */
export function fileState(t: Pick<TransferView, 'accepted'>, file: number): 'offered' | 'skipped' | 'accepted' {
  // A declined offer has no accepted files, and none of them was "skipped" one by one.
  if (!t.accepted || t.accepted.length === 0) return 'offered';
  return t.accepted.includes(file) ? 'accepted' : 'skipped';
}

/**
 * The files ticked in an incoming offer's checkboxes, ascending. `choice` holds the person's
 * changes (absent = ticked: every file is accepted unless unticked).
 */
export function chosenFiles(choice: readonly boolean[] | undefined, count: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) if (choice?.[i] !== false) out.push(i);
  return out;
}

/** Why Accept cannot be pressed, or null when it can. */
export function acceptBlocked(chosen: readonly number[]): string | null {
  return chosen.length === 0 ? words.transfer.acceptBlocked : null;
}

/** Percent done, 0..100 (an empty transfer is 100 % once it is complete). */
export function percent(t: Pick<TransferView, 'done' | 'total' | 'status'>): number {
  if (t.total === 0) return t.status === 'done' ? 100 : 0;
  return Math.floor((t.done / t.total) * 100);
}

/** "about 5 sec left", "about 3 min left" (the duration through Intl: `formatDuration`). */
export function formatEta(ms: number | null, locale?: string): string {
  return ms === null ? '' : words.transfer.eta(formatDuration(ms, locale));
}

/** The status line of a transfer, in words (contains `complete`, `failed` or `cancelled` when it ended so). */
export function statusText(t: TransferView, peer: string): string {
  const s = baseStatus(t, peer);
  const skipped = t.accepted && t.status !== 'declined' ? t.files.length - t.accepted.length : 0;
  return skipped > 0 ? `${s} · ${words.transfer.skipped(skipped, t.files.length)}` : s;
}

function baseStatus(t: TransferView, peer: string): string {
  const w = words.transfer;
  const p = formatPercent(percent(t));
  switch (t.status) {
    case 'offered':
      return t.direction === 'out' ? w.waitingAccept(peer) : w.offers(peer, t.files.length);
    case 'active': {
      const rate = t.speed > 0 ? ` · ${formatSpeed(t.speed)} · ${formatEta(t.etaMs)}` : '';
      return `${t.direction === 'out' ? w.sending : w.receiving} ${p}${rate}`;
    }
    case 'done':
      return t.direction === 'in' ? w.completeIn : w.completeOut(peer);
    case 'declined':
      return t.direction === 'out' ? w.declinedBy(peer) : w.declined;
    case 'cancelled':
      return t.cancelledBy === 'peer'
        ? w.cancelledBy(peer)
        : t.cancelledBy === 'local'
          ? w.cancelledByYou
          : w.cancelled;
    case 'failed':
      return w.failed(t.problem);
  }
}

/** Offers of one contact that a limit declined before anyone saw them (docs/files.md "Offer flood"). */
export interface RefusedOffers {
  offers: number;
  files: number;
  /** The limit that declined the latest one. */
  bound: 'size' | 'unanswered' | 'rate' | 'records';
}

/** The chat's line about declined offers: what happened, why (the latest limit hit), and what to do. */
export function refusedText(r: RefusedOffers, peer: string): string {
  return words.refused.text(peer, r.offers, r.files, words.refused.why[r.bound]);
}
