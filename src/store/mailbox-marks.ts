/**
 * What the mailbox courier (src/app/mailbox-courier.ts, docs/app.md "Mailbox") remembers in the
 * app's database: on an outgoing message, when it was left in the contact's mailbox at the relay
 * (`MessageRecord.mailboxAt`: it is not put there again, and the chat says where it waits); on a
 * contact's session row, the last UTC day whose mailbox was drained in full under that session
 * (`SessionRow.mailboxDrained`: the next drain starts there, docs/session.md §7).
 *
 * Each write is one read-modify-write transaction, so it never overwrites a concurrent change
 * with a stale copy; the session row's `version` goes up, so a `ContactSessions.receive` that read
 * the row before starts again (its optimistic check) instead of writing over the mark.
 * @module
 */
import { dayOf } from '../core/rendezvous';
import type { SessionRow, StoredSession } from './session-row';
import type { ParleyDb } from './db';

/**
 * Marks our message `id` to `contact` as left in the contact's mailbox at `at`, if it still waits
 * for its receipt and was not marked before. True when the record changed.
 */
export async function markLeftAtRelay(db: ParleyDb, contact: string, id: string, at: number): Promise<boolean> {
  if (!Number.isSafeInteger(at) || at < 0) throw new TypeError('markLeftAtRelay: at must be a time in ms');
  const tx = db.transaction('messages', 'readwrite');
  const m = await tx.store.get([contact, id]);
  const mark = !!m && m.direction === 'out' && !m.delivered && m.mailboxAt === undefined;
  if (mark) await tx.store.put({ ...m, mailboxAt: at });
  await tx.done;
  return mark;
}

/**
 * The first UTC day whose mailbox address still needs draining under `session`: the day of the
 * last complete drain (kept, since a sender's late clock may still put there), or — never drained
 * under this session — the day it was agreed, `skewMs` earlier (nothing was put before it).
 */
export function drainSince(row: Pick<SessionRow, 'mailboxDrained'>, session: StoredSession, skewMs: number): number {
  const d = row.mailboxDrained;
  if (d && d.session === session.id) return d.day;
  return dayOf(Math.max(0, session.createdAt - skewMs));
}

/** Notes that `contact`'s mailbox was drained in full under `session` up to UTC day `day`. */
export async function noteDrained(db: ParleyDb, contact: string, session: string, day: number): Promise<void> {
  if (!Number.isSafeInteger(day) || day < 0) throw new TypeError('noteDrained: day must be a UTC day number');
  const tx = db.transaction('sessions', 'readwrite');
  const row = await tx.store.get(contact);
  // A session replaced meanwhile starts its own series: the note would be about the old one.
  if (row?.session?.id === session && (row.mailboxDrained?.session !== session || row.mailboxDrained.day < day))
    await tx.store.put({ ...row, version: row.version + 1, mailboxDrained: { session, day } });
  await tx.done;
}
