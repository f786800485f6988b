/**
 * Leaving messages in a contact's mailbox at the relay (docs/app.md "Mailbox"): the sending half
 * of the mailbox courier. Each unreceipted outbox entry is sealed with a ratchet step
 * (`ContactSessions.sealEntry`, committed before the bytes leave), wrapped as the wire message
 * `ratchet`, sealed and padded for the contact's address of today (docs/protocol-app.md §3.6) and
 * put there once; the record is then marked `mailboxAt`. The entry stays in the outbox until its
 * receipt, so the next link sends it again and the contact's inbox drops the copy.
 *
 * Bounds (docs/security.md "What a malicious contact can do"): at most
 * {@link MAILBOX_OUTSTANDING_MAX} messages per contact wait in its mailbox without a receipt; a
 * refusal stops the round and blocks further puts for as long as it calls for — a full mailbox
 * until the next UTC day (a new address), a quota for a minute — so the courier never loops on
 * the relay. A ratchet step sealed for a put that failed is kept in memory and put again, not
 * sealed anew.
 * @module
 */
import { encodeWire } from '../core/wire';
import { mailboxAddress, mailboxClassFor, sealMailboxBlob } from '../core/mailbox';
import { dayOf } from '../core/rendezvous';
import type { RandomSource } from '../core/identity';
import type { MailboxFailureCode } from '../net/mailbox-client';
import { mailboxDaySecret } from '../net/session-derive';
import type { ContactSessions, StoredSession } from '../store/contact-sessions';
import type { ParleyDb } from '../store/db';
import { markLeftAtRelay } from '../store/mailbox-marks';
import { markGroupCopyLeft, pendingGroupCopies } from '../store/group-outbox';
import type { MailboxApi, MailboxLimits } from './mailbox-day';

/**
 * Messages per contact left in its mailbox and still without a receipt. A contact that never
 * drains (away for weeks, or an older Parley) costs the relay at most this many blobs, and its
 * ratchet at most this many skipped keys — under the ratchet's MAX_SKIP (1 000), so the messages
 * that come later over a link still open. More wait in the outbox for a link.
 */
export const MAILBOX_OUTSTANDING_MAX = 256;
/** After `MAILBOX_QUOTA` (this network address stored too much lately): wait this long. */
export const MAILBOX_QUOTA_WAIT_MS = 60_000;
/** After the relay's storage was full, unavailable or slow: wait this long. */
export const MAILBOX_TROUBLE_WAIT_MS = 5 * 60_000;
/** Bytes a chat message gains in wire + ratchet framing, rounded up (checked exactly after sealing). */
const FRAMING_BYTES = 512;
const DAY_MS = 86_400_000;
const utf8 = new TextEncoder();

/** Per contact, what posting remembers between rounds (in memory). */
export class PostState {
  /** A ratchet message sealed for outbox entry `id` and not put yet: put again as it is. */
  held: { id: string; session: string; wire: Uint8Array } | null = null;
  /** No puts before this time (ms), for `reason`. */
  blockedUntil = 0;
  reason: MailboxFailureCode | null = null;
  /** Entries too long for this relay's largest blob: they wait for a link. */
  readonly tooLarge = new Set<string>();

  /** Lifts the blocks a reconnected relay may have cleared (not a full mailbox, not the quota). */
  relayBack(): void {
    if (this.reason !== 'MAILBOX_FULL' && this.reason !== 'MAILBOX_QUOTA') this.blockedUntil = 0;
  }
}

export interface PostContext {
  sessions: ContactSessions;
  db: ParleyDb;
  now(): number;
  random: RandomSource;
  signal: AbortSignal;
  /** A link with a session is up to the contact: it carries the messages, not the mailbox. */
  connected(key: string): boolean;
  /** A record changed (the `mailboxAt` mark). */
  changed(key: string, id: string): void;
}

/** The contact's address of UTC day `day`, and the secret that seals blobs for it. */
export function contactAddress(session: StoredSession, contactKey: Uint8Array, day: number) {
  const secret = mailboxDaySecret(session.roomKey, contactKey, day);
  return { secret, address: mailboxAddress(secret) };
}

/**
 * Puts the contact's unreceipted messages not in its mailbox yet, oldest first, at its address of
 * today, on today's socket (`m`). Returns how many were put.
 */
export async function postEntries(
  ctx: PostContext,
  key: string,
  contactKey: Uint8Array,
  st: PostState,
  m: MailboxApi,
  limits: MailboxLimits,
): Promise<number> {
  const session = (await ctx.sessions.row(key))?.session;
  const pending = await ctx.sessions.pendingIds(key);
  if (st.held && (!pending.includes(st.held.id) || st.held.session !== session?.id)) st.held = null;
  if (!session || ctx.now() < st.blockedUntil) return 0;
  const day = dayOf(ctx.now());
  const { secret, address } = contactAddress(session, contactKey, day);
  const records = await waiting(ctx, key, pending);
  let outstanding = records.filter((r) => r.mailboxAt !== undefined).length;
  let put = 0;
  for (const rec of records) {
    if (ctx.signal.aborted || ctx.connected(key) || outstanding >= MAILBOX_OUTSTANDING_MAX) break;
    if (rec.mailboxAt !== undefined || st.tooLarge.has(rec.id)) continue;
    if (rec.bytes + FRAMING_BYTES > limits.maxBytes) {
      st.tooLarge.add(rec.id); // known before sealing: no ratchet step spent
      continue;
    }
    const wire = st.held?.id === rec.id ? st.held.wire : await ctx.sessions.sealEntry(key, rec.id);
    if (!wire) break; // not sendable under this session now (the responder before the first message)
    st.held = { id: rec.id, session: session.id, wire };
    const plaintext = encodeWire({ type: 'ratchet', data: wire });
    const size = mailboxClassFor(plaintext.length);
    if (size === null || size > limits.maxBytes) {
      st.tooLarge.add(rec.id);
      st.held = null;
      continue;
    }
    const r = await m.put(address, sealMailboxBlob(secret, plaintext, ctx.random));
    if (!r.ok) {
      block(st, r.code, ctx.now());
      if (r.code === 'MAILBOX_TOO_LARGE') st.tooLarge.add(rec.id);
      break;
    }
    st.held = null;
    put++;
    outstanding++;
    if (rec.group) await markGroupCopyLeft(ctx.db, key, rec.id, ctx.now());
    else if (await markLeftAtRelay(ctx.db, key, rec.id, ctx.now())) ctx.changed(key, rec.id);
  }
  return put;
}

/** One unreceipted outbox entry: a chat record, or a group copy (docs/groups.md §10.2). */
interface Waiting {
  id: string;
  /** The text's (chat) or the group message's (group) length in bytes, before framing. */
  bytes: number;
  mailboxAt?: number;
  group: boolean;
}

/** The entries `pending` of `key`'s outbox that can be posted, in outbox order (a chat entry without its record is left out). */
async function waiting(ctx: PostContext, key: string, pending: readonly string[]): Promise<Waiting[]> {
  const copies = new Map((await pendingGroupCopies(ctx.db, key, pending)).map((c) => [c.id, c]));
  const out: Waiting[] = [];
  for (const id of pending) {
    const g = copies.get(id);
    if (g) out.push({ ...g, group: true });
    const rec = g ? undefined : await ctx.db.get('messages', [key, id]);
    if (rec) out.push({ id, bytes: utf8.encode(rec.text).length, mailboxAt: rec.mailboxAt, group: false });
  }
  return out;
}

/**
 * Puts `ids`' receipts (messages that came through our mailbox) in the contact's mailbox of today.
 * Best effort: a receipt that does not get there is not kept — the contact sends the message
 * again on the next link and gets a receipt then. Returns how many were put.
 */
export async function postReceipts(
  ctx: PostContext,
  key: string,
  contactKey: Uint8Array,
  ids: readonly string[],
  m: MailboxApi,
  limits: MailboxLimits,
): Promise<number> {
  const session = (await ctx.sessions.row(key))?.session;
  if (!session) return 0;
  const { secret, address } = contactAddress(session, contactKey, dayOf(ctx.now()));
  let put = 0;
  for (const id of ids) {
    if (ctx.signal.aborted) break;
    const wire = await ctx.sessions.sealControl(key, { type: 'receipt', id });
    if (!wire) break;
    const plaintext = encodeWire({ type: 'ratchet', data: wire });
    const size = mailboxClassFor(plaintext.length);
    if (size === null || size > limits.maxBytes) break;
    if (!(await m.put(address, sealMailboxBlob(secret, plaintext, ctx.random))).ok) break;
    put++;
  }
  return put;
}

/** How long a refusal keeps posting to this contact away from the relay. */
function block(st: PostState, code: MailboxFailureCode, now: number): void {
  st.reason = code;
  switch (code) {
    case 'MAILBOX_FULL':
    case 'MAILBOX_BAD_SIZE':
      st.blockedUntil = (dayOf(now) + 1) * DAY_MS; // tomorrow's address is another, empty one
      return;
    case 'MAILBOX_QUOTA':
      st.blockedUntil = now + MAILBOX_QUOTA_WAIT_MS;
      return;
    case 'MAILBOX_UNSUPPORTED':
      st.blockedUntil = Infinity; // until the relay reconnects (`relayBack`)
      return;
    case 'MAILBOX_OFFLINE':
    case 'MAILBOX_TOO_LARGE':
      return; // the relay's return brings the next round; the entry is skipped
    default:
      st.blockedUntil = now + MAILBOX_TROUBLE_WAIT_MS;
  }
}
