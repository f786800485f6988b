/**
 * The open chat's history in memory, patched one message at a time (docs/app.md "Chat history";
 * review-2026-11-app L3: reloading the whole history from IndexedDB on every incoming message or
 * receipt cost O(n) per message, O(n²) for a flood).
 * @module
 */
import type { MessageRecord } from '../store/db';

/**
 * `list` with `m` put in its place: a message with the same id is replaced (a delivered mark, a
 * resend), otherwise `m` is inserted where IndexedDB's `byContactTime` index would list it —
 * by `sentAt`, ties by id (the primary key's order, UTF-16 code units as JavaScript's `<`), so a
 * later full reload shows the same order. `list` must be in that order; it is not changed.
 */
export function upsertMessage(list: readonly MessageRecord[], m: MessageRecord): MessageRecord[] {
  const out = list.filter((x) => x.id !== m.id);
  let lo = 0,
    hi = out.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (before(out[mid]!, m)) lo = mid + 1;
    else hi = mid;
  }
  out.splice(lo, 0, m);
  return out;
}

/** Whether `a` is listed before `b` (by `sentAt`, ties by id). */
export function before(a: Pick<MessageRecord, 'sentAt' | 'id'>, b: Pick<MessageRecord, 'sentAt' | 'id'>): boolean {
  return a.sentAt < b.sentAt || (a.sentAt === b.sentAt && a.id < b.id);
}
