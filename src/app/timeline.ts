/**
 * The open chat's timeline as the message list shows it (docs/app.md "Chat history"): messages,
 * transfers and rename lines by the time each was made, a date separator before the first row of
 * each day, and each outgoing message's state.
 * @module
 */
import type { MessageRecord } from '../store/db';
import type { TransferView } from './transfer-view';
import { dayOf } from './format';

/** One row of the message list. */
export type Row =
  | { kind: 'msg'; key: string; at: number; m: MessageRecord }
  | { kind: 'file'; key: string; at: number; t: TransferView }
  | { kind: 'note'; key: string; at: number; text: string }
  | { kind: 'day'; key: string; at: number };

/**
 * Where an outgoing message stands: `pending` while it waits in the outbox for a link, `mailbox`
 * once it was left sealed at the contact's mailbox at the relay (docs/app.md "Mailbox"), `sent`
 * once it was sealed and handed to a live link (no receipt yet), `delivered` once the receipt
 * came back (docs/app.md "Message states"). Incoming messages are always `delivered`.
 */
export type MessageState = 'pending' | 'mailbox' | 'sent' | 'delivered';

/** The state of `m` (see {@link MessageState}). */
export function messageState(
  m: Pick<MessageRecord, 'direction' | 'delivered' | 'sentOnLink' | 'mailboxAt'>,
): MessageState {
  if (m.direction === 'in' || m.delivered) return 'delivered';
  if (m.sentOnLink) return 'sent';
  return m.mailboxAt !== undefined ? 'mailbox' : 'pending';
}

/**
 * Messages, transfers and notes in one list by time (stable for equal times: messages, then
 * transfers, then notes, each in their given order), with a `day` row before each new local day.
 * Transfers and notes older than `from` (the oldest message loaded, while older pages are not)
 * are left out, so they show up with their page.
 */
export function timeline(
  messages: readonly MessageRecord[],
  transfers: readonly TransferView[],
  notes: readonly { at: number; text: string }[],
  from = -Infinity,
): Row[] {
  const rows: Row[] = [
    ...messages.map((m): Row => ({ kind: 'msg', key: `m${m.id}`, at: m.sentAt, m })),
    ...transfers
      .filter((t) => t.createdAt >= from)
      .map((t): Row => ({ kind: 'file', key: `t${t.id}`, at: t.createdAt, t })),
    ...notes.filter((n) => n.at >= from).map((n, i): Row => ({ kind: 'note', key: `n${i}`, at: n.at, text: n.text })),
  ].sort((a, b) => a.at - b.at);
  const out: Row[] = [];
  let day: number | null = null;
  for (const r of rows) {
    const d = dayOf(r.at);
    if (d !== day) out.push({ kind: 'day', key: `d${d}`, at: d });
    day = d;
    out.push(r);
  }
  return out;
}
