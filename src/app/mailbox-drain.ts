/**
 * Draining our mailboxes at the relay (docs/app.md "Mailbox"): the receiving half of the mailbox
 * courier. For each contact with a session, the addresses of the days `mailboxDays` lists since
 * the last complete drain (docs/session.md §7) are fetched a page at a time; every blob is opened
 * (`openMailboxBlob`, then the wire message `ratchet`) and applied through the same receive path
 * as a link's — `ContactSessions.receive`: ratchet step, inbox and history in one transaction —
 * in the order the relay returns them, and acknowledged only after that commit. A crash between
 * commit and acknowledgement brings the blob back: the ratchet refuses the copy (a replay), the
 * message is shown once. Blobs that do not open (made up or altered by the relay, replays) are
 * acknowledged too, so they go away.
 *
 * Bounds: a contact's blobs go through its chat budget (docs/outbox.md §5), shared with its links:
 * each blob opened counts as a ratchet message opened, each that fails as a refusal, each new chat
 * as a stored record; once the budget is spent the drain of that contact stops, leaving the rest
 * at the relay for a later drain. A blob that does not open under the seal costs one AEAD open and
 * is not charged (the relay, not the contact, made it). At most one page is held in memory, and at most
 * {@link MAILBOX_DRAIN_PAGES} pages are fetched per address per drain.
 * @module
 */
import { mailboxAddress, openMailboxBlob } from '../core/mailbox';
import { decodeWire } from '../core/wire';
import { mailboxDaySecret } from '../net/session-derive';
import type { ContactSessions } from '../store/contact-sessions';
import type { ChatBudget } from './chat-budget';
import type { MailboxApi } from './mailbox-day';

/** Pages fetched per address in one drain (a page is up to 256 Ki characters of blobs). */
export const MAILBOX_DRAIN_PAGES = 64;

export interface DrainContext {
  sessions: ContactSessions;
  now(): number;
  signal: AbortSignal;
  /** The contact's chat budget (shared with its links). */
  budget(key: string): ChatBudget;
  /** History records written (new messages, delivered marks). */
  changed(key: string, ids: string[]): void;
  /** The contact's messages held back so far by its budget. */
  heldBack(key: string, total: number): void;
  /** The store refused a write (nothing was written; the blob stays at the relay). */
  storageFailed(): void;
}

/** How one address's drain ended: everything taken, or stopped (budget, storage, network) with the rest left. */
export type DrainEnd = 'complete' | 'stopped';

/**
 * Drains `key`'s blobs at our address of UTC `day` under its current session (whose room key is
 * `roomKey`; `me` is our Ed25519 key) over `m`, a client on that day's socket. Receipts owed for
 * what was taken are added to `receipts`.
 */
export async function drainAddress(
  ctx: DrainContext,
  key: string,
  secret: Uint8Array,
  m: MailboxApi,
  receipts: string[],
): Promise<DrainEnd> {
  const address = mailboxAddress(secret);
  let after: string | undefined;
  for (let pages = 0; pages < MAILBOX_DRAIN_PAGES && !ctx.signal.aborted; pages++) {
    const page = await m.fetch(address, after === undefined ? {} : { after });
    if (!page.ok) return 'stopped';
    const done: string[] = [];
    let stopped = false;
    for (const blob of page.blobs) {
      if ((await applyBlob(ctx, key, secret, blob.data, receipts)) === 'stop') {
        stopped = true;
        break;
      }
      done.push(blob.id);
    }
    // After the commits: a lost acknowledgement only brings back copies the ratchet refuses.
    if (done.length > 0) await m.ack(address, done);
    if (stopped) return 'stopped';
    if (!page.more || page.blobs.length === 0) return 'complete';
    after = page.blobs[page.blobs.length - 1]!.id;
  }
  return 'stopped';
}

/** Our mailbox secret for blobs from the contact of a session with `roomKey` on UTC `day`. */
export function ownSecret(roomKey: Uint8Array, me: Uint8Array, day: number): Uint8Array {
  return mailboxDaySecret(roomKey, me, day);
}

/**
 * Opens and applies one blob. 'done': taken, or refused for good (acknowledge it); 'stop': the
 * budget is spent, there is no session, or the store failed (leave it and the rest for later).
 */
async function applyBlob(
  ctx: DrainContext,
  key: string,
  secret: Uint8Array,
  data: Uint8Array,
  receipts: string[],
): Promise<'done' | 'stop'> {
  const budget = ctx.budget(key);
  const now = ctx.now();
  if (budget.exhausted(now)) return 'stop';
  const opened = openMailboxBlob(secret, data);
  // Not sealed under the secret only the contact and we derive (made up or altered on the relay,
  // or meant for another address): dropped without touching the ratchet, and not charged to the
  // contact, whose budget the relay must not be able to spend.
  if (!opened.ok) return 'done';
  const outer = decodeWire(opened.plaintext);
  if (!outer.ok || outer.message.type !== 'ratchet') {
    budget.refused(now); // sealed by the contact, but not a ratchet message
    return 'done';
  }
  budget.opening(now);
  let r: Awaited<ReturnType<ContactSessions['receive']>>;
  try {
    r = await ctx.sessions.receive(key, outer.message.data, (bytes) => budget.admit(ctx.now(), bytes));
  } catch {
    ctx.storageFailed();
    return 'stop';
  }
  switch (r.status) {
    case 'ok':
      if (r.changed.length > 0) ctx.changed(key, r.changed);
      receipts.push(...r.receipts);
      return 'done';
    case 'deferred':
      // Its step is spent, so the blob cannot open again: the sender's outbox still holds the
      // message (no receipt) and sends it on the next link.
      ctx.heldBack(key, ++budget.heldBack);
      return 'done';
    case 'no-session':
      return 'stop';
    default:
      budget.refused(now); // a replay (a copy already taken) or a message the ratchet refused
      return 'done';
  }
}
