/**
 * What one decrypted ratchet message does to the contact's session row and its history, by its
 * inner type (docs/session.md §3, docs/protocol.md "Compatibility"): chat and group messages go
 * through the inbox (`session-inbox.ts`); a receipt closes an outbox entry and marks our history
 * record delivered; a resume point releases held messages; a file key and a features check are
 * handed back, never stored. Everything here runs inside the receive transaction of
 * `ContactSessions.receive`: it awaits IndexedDB requests only.
 * @module
 */
import { failure } from '../core/errors';
import { acknowledge, resume } from '../core/outbox';
import { toBase64Url } from '../core/base64url';
import type { InnerVerdict } from './inner-rules';
import { applyChat, applyUnusable, deliver } from './session-inbox';
import { okOutcome, type Applied, type ChatAdmission, type MessagesInTx } from './session-outcome';
import type { SessionRow } from './session-row';

/**
 * What one decrypted message (`inner`, already judged by `judgeInner`) does to the contact's row
 * (`next`, its ratchet state already stepped) and its history, and the outcome to report.
 */
export async function applyMessage(
  next: SessionRow,
  inner: InnerVerdict,
  messages: MessagesInTx,
  now: number,
  admit?: ChatAdmission,
): Promise<Applied> {
  if (inner.kind === 'refused') return { next, outcome: { status: 'rejected', failure: inner.failure } };
  if (inner.kind === 'unusable') return applyUnusable(next, inner.id, messages, now);
  const m = inner.message;
  switch (m.type) {
    case 'chat':
      return applyChat(next, m.id, { text: m.text, sentAt: m.sentAt }, messages, now, admit);
    case 'group':
      // Every group message travels as an outbox entry (docs/groups.md §10.2): receipted, in order.
      if (m.id === undefined)
        return {
          next,
          outcome: {
            status: 'rejected',
            failure: failure(
              'SESSION_BAD_PAYLOAD',
              'receiver',
              'sessions.receive',
              'a group message without an outbox id',
            ),
          },
        };
      return applyChat(next, m.id, { text: '', sentAt: now, groupBytes: toBase64Url(m.data) }, messages, now, admit);
    case 'unsupported':
      return applyNotShown(next, m.id, messages);
    case 'features-check':
      return { next, outcome: { ...okOutcome('features-check', [], []), digest: m.digest } };
    case 'receipt':
      return applyReceipt(next, m.id, messages);
    case 'resume': {
      const rr = resume(next.inbox, { stream: m.stream, base: m.base });
      await deliver(messages, next.contact, rr.deliver, now);
      return { next: { ...next, inbox: rr.inbox }, outcome: okOutcome('resume', rr.deliver, rr.receipts) };
    }
    case 'file-key':
      // Spends the step like any message; the key lives only as long as the link (not stored).
      return { next, outcome: { ...okOutcome('file-key', [], []), fileKey: m.key } };
  }
}

/** The contact could not use our message `id`: it leaves the outbox, the record says "not shown". */
async function applyNotShown(next: SessionRow, id: string, messages: MessagesInTx): Promise<Applied> {
  const r = await applyReceipt(next, id, messages);
  if (r.outcome.status !== 'ok') return r;
  const rec = await messages.get([next.contact, id]);
  if (rec && rec.direction === 'out' && !rec.notShown) await messages.put({ ...rec, delivered: false, notShown: true });
  return { next: r.next, outcome: { ...r.outcome, kind: 'not-shown', changed: rec ? [id] : [] } };
}

/** A receipt: the outbox entry is done and our history record is marked delivered. */
async function applyReceipt(next: SessionRow, id: string, messages: MessagesInTx): Promise<Applied> {
  const a = acknowledge(next.outbox, id);
  if (!a.ok) return { next, outcome: { status: 'rejected', failure: a } };
  let marked = false;
  if (a.delivered) {
    next = { ...next, outbox: a.outbox };
    const rec = await messages.get([next.contact, id]);
    if (rec && rec.direction === 'out' && !rec.delivered) {
      await messages.put({ ...rec, delivered: true });
      marked = true;
    }
  }
  return {
    next,
    outcome: { status: 'ok', kind: 'receipt', delivered: 0, marked, receipts: [], changed: marked ? [id] : [] },
  };
}
