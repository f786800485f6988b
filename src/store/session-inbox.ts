/**
 * A received message through the contact's inbox (docs/outbox.md §3–§5, docs/session.md §3): a
 * chat message, a group message or one this side cannot use takes its place in the inbox, and
 * what the inbox releases is written to the history (chat) or the group inbox (group), inside the
 * receive transaction. A new message past a bound (held text, receive budget, group inbox) is
 * deferred: its ratchet step is kept, nothing else is written.
 * @module
 */
import { fromBase64Url } from '../core/base64url';
import { receive as inboxReceive, type Inbox, type InboxMessage } from '../core/outbox';
import { groupInboxFull } from './group-outbox';
import { okOutcome, type Applied, type ChatAdmission, type MessagesInTx, type OkOutcome } from './session-outcome';
import type { InPayload, SessionRow } from './session-row';

/** Text held in a contact's inbox waiting for an earlier message (kept in the session row, rewritten with it). */
export const MAX_HELD_TEXT_BYTES = 1024 * 1024;

const utf8 = new TextEncoder();
const payloadBytes = (p: InPayload) => utf8.encode(p.text).length + (p.groupBytes?.length ?? 0);
const heldBytes = (inbox: Inbox<InPayload>) =>
  inbox.streams.reduce((n, st) => n + st.held.reduce((k, h) => k + payloadBytes(h.payload), 0), 0);

/**
 * A chat message, or a group message (`payload.groupBytes`), through the contact's inbox. `next`
 * is the row with the ratchet state already stepped; runs inside the receive transaction.
 */
export async function applyChat(
  next: SessionRow,
  id: string,
  payload: InPayload,
  messages: MessagesInTx,
  now: number,
  admit?: ChatAdmission,
): Promise<Applied> {
  const kind = payload.groupBytes === undefined ? 'chat' : 'group';
  const rr = inboxReceive(next.inbox, id, payload);
  if (!rr.ok) return { next, outcome: { status: 'rejected', failure: rr } };
  // A new message (not a repeat) must fit the held-text bound, the receive budget and (group) the
  // group inbox's bound, or it is deferred: the ratchet step is kept, the inbox and history are
  // not touched (docs/outbox.md §5, docs/groups.md §11).
  const kept = rr.status === 'delivered' || rr.status === 'held';
  if (kept && rr.status === 'held' && heldBytes(rr.inbox) > MAX_HELD_TEXT_BYTES)
    return { next, outcome: { status: 'deferred', kind, bound: 'held' } };
  if (kept && admit && !admit(payloadBytes(payload)))
    return { next, outcome: { status: 'deferred', kind, bound: 'budget' } };
  if (kept && kind === 'group' && (await groupInboxFull(messages.transaction.objectStore('groupInbox'), next.contact)))
    return { next, outcome: { status: 'deferred', kind, bound: 'held' } };
  await deliver(messages, next.contact, rr.deliver, now);
  const outcome = okOutcome(kind, rr.deliver, rr.receipts);
  return { next: { ...next, inbox: rr.inbox }, outcome: withUnsupported(outcome, rr.deliver, null) };
}

/**
 * A message this side cannot use (docs/protocol.md "Compatibility"): the step is spent, nothing
 * is stored, and with an outbox id it goes through the inbox like any message — so it is
 * receipted (as `unsupported`), its repeats are recognised, and what waited behind it is released.
 */
export async function applyUnusable(
  next: SessionRow,
  id: string | null,
  messages: MessagesInTx,
  now: number,
): Promise<Applied> {
  const rr = id === null ? null : inboxReceive(next.inbox, id, { text: '', sentAt: 0, unsupported: true });
  if (!rr?.ok) return { next, outcome: { ...okOutcome('unsupported', [], []), unsupported: [] } };
  await deliver(messages, next.contact, rr.deliver, now);
  const outcome = okOutcome('unsupported', rr.deliver, rr.receipts);
  return { next: { ...next, inbox: rr.inbox }, outcome: withUnsupported(outcome, rr.deliver, id) };
}

/**
 * Writes delivered messages to the history, group messages to the group inbox; never overwrites
 * a history record already there (an id of ours, or one stored earlier).
 */
export async function deliver(
  messages: MessagesInTx,
  contact: string,
  list: InboxMessage<InPayload>[],
  now: number,
): Promise<void> {
  for (const d of list) {
    if (d.payload.groupBytes !== undefined) {
      const bytes = fromBase64Url(d.payload.groupBytes);
      if (bytes) await messages.transaction.objectStore('groupInbox').add({ from: contact, bytes, receivedAt: now });
      continue;
    }
    if (d.payload.unsupported || (await messages.getKey([contact, d.id])) !== undefined) continue;
    await messages.put({
      contact,
      id: d.id,
      direction: 'in',
      text: d.payload.text,
      sentAt: Math.min(d.payload.sentAt, now),
      receivedAt: now,
      delivered: true,
    });
  }
}

/** The ids among the receipts to send as `unsupported`: `current` (when unusable) and released unusable ones. */
function withUnsupported(o: OkOutcome, delivered: InboxMessage<InPayload>[], current: string | null): OkOutcome {
  const ids = new Set(delivered.filter((d) => d.payload.unsupported).map((d) => d.id));
  if (current !== null) ids.add(current);
  return {
    ...o,
    unsupported: o.receipts.filter((r) => ids.has(r)),
    changed: o.changed.filter((c) => !ids.has(c)),
  };
}
