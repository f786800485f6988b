/**
 * Per-contact sessions in the app's own database (docs/session.md §3): one row per contact in
 * the `sessions` store holding the Double Ratchet session (if any), the outbox of messages
 * written to the contact (`src/core/outbox.ts`) and the inbox of what it sent us. Chat history
 * stays in `messages`, and every operation that changes both is ONE transaction over
 * `sessions` + `messages`:
 *
 * - receive: ratchet step + inbox + the messages it hands to the app (or the delivered mark of
 *   a receipt) — the rule of docs/security-ratchet.md "Transactional decrypt", with an optimistic
 *   version check (decrypt is async, so it runs before the transaction, and a changed version
 *   means "start again": another tab moved on);
 * - write: the history record and the outbox entry;
 * - seal: the ratchet step, committed before the bytes leave, so a key is never used twice.
 *
 * Operations on one contact are queued in memory, one at a time.
 * @module
 */
import {
  canSend,
  decrypt,
  encrypt,
  parseState,
  serializeState,
  type RatchetState,
  type RatchetStateJson,
} from '../core/ratchet';
import {
  acknowledge,
  enqueue,
  pending,
  receive as inboxReceive,
  resume,
  resumePoint,
  type Inbox,
  type InboxMessage,
} from '../core/outbox';
import { decodeWire, encodeWire, type WireMessage } from '../core/wire';
import { failure, type Failure } from '../core/errors';
import type { KxRole } from '../core/kx';
import type { IDBPObjectStore, IDBPTransaction } from 'idb';
import { fromBase64Url, toBase64Url } from '../core/base64url';
import type { MessageRecord, ParleyDb, ParleySchema } from './db';
import { SerialQueues } from './serial';
import { groupInner, groupInboxFull, isGroupPayload } from './group-outbox';
import { CURRENT, type Announcement } from '../core/features';
import { judgeInner, type InnerVerdict } from './inner-rules';
import { emptySessionRow, type InPayload, type OutPayload, type SessionRow, type StoredSession } from './session-row';

// The row's types live in session-row.ts (db.ts needs them without importing this module).
export { emptySessionRow };
export type { InPayload, OutPayload, SessionRow, StoredSession };

/** What a received ratchet message did. */
export type SessionReceiveOutcome =
  | {
      status: 'ok';
      kind: 'chat' | 'receipt' | 'resume' | 'file-key' | 'group' | InnerKindV2;
      delivered: number;
      marked: boolean;
      receipts: string[] /*send after this resolves*/;
      /** The ids in `receipts` of messages this side could not use: receipted as `unsupported` (docs/protocol.md "Compatibility"). */ unsupported?: string[];
      /** kind 'features-check': the peer's digest of this link's announcements (docs/security.md "Downgrade"). */ digest?: Uint8Array;
      /** Ids of the history records this wrote (new messages, a delivered mark), for views to patch in. */ changed: string[];
      /** kind 'file-key': the peer's file key for this link (docs/session.md §6); never stored. */ fileKey?: Uint8Array;
    }
  | { status: 'replay' | 'rejected' | 'no-session'; failure: Failure }
  /**
   * A new chat message the receive budget did not take (docs/outbox.md §5): its ratchet step is
   * spent, nothing else is written and no receipt goes back, so the sender sends it again later.
   */
  | { status: 'deferred'; kind: 'chat' | 'group'; bound: 'budget' | 'held' };

/**
 * Decides whether a new chat message of `textBytes` UTF-8 bytes may be stored now (the contact's
 * receive budget, docs/outbox.md §5); a refusal defers it. Repeats are never asked about.
 */
export type ChatAdmission = (textBytes: number) => boolean;

/** Text held in a contact's inbox waiting for an earlier message (kept in the session row, rewritten with it). */
export const MAX_HELD_TEXT_BYTES = 1024 * 1024;

const utf8 = new TextEncoder();
const payloadBytes = (p: InPayload) => utf8.encode(p.text).length + (p.groupBytes?.length ?? 0);
const heldBytes = (inbox: Inbox<InPayload>) =>
  inbox.streams.reduce((n, st) => n + st.held.reduce((k, h) => k + payloadBytes(h.payload), 0), 0);

/** Crash-test hook (e2e/contact-sessions.spec.ts): runs inside the receive transaction. */
export interface ContactSessionsTestHooks {
  onCommitPhase?(
    phase: 'messages-written' | 'state-written',
    c: { abort(): void; keepAlive(): Promise<never> },
  ): void | Promise<void>;
}

const MAX_ATTEMPTS = 64;
/** Receive outcomes added with the announcements (docs/protocol.md "Compatibility"). */
type InnerKindV2 = 'unsupported' | 'not-shown' | 'features-check';

export class ContactSessions {
  private readonly serialQueues = new SerialQueues();
  /** Called after a receive that may have put group messages into the group inbox (docs/groups.md §10.2). */
  onGroupInbox: (() => void) | null = null;
  constructor(
    private readonly db: ParleyDb,
    private readonly now: () => number = Date.now,
    private readonly testHooks: ContactSessionsTestHooks = {},
    /** This side's features (`features.ts`): which inner messages it can use. Null: version 1. */
    private readonly own: Announcement | null = CURRENT,
  ) {}

  private serial<T>(contact: string, op: () => Promise<T>): Promise<T> {
    return this.serialQueues.run(contact, op);
  }

  row(contact: string): Promise<SessionRow | undefined> {
    return this.db.get('sessions', contact);
  }

  /** The session id this side holds for `contact`, or null. */
  async sessionId(contact: string): Promise<string | null> {
    return (await this.row(contact))?.session?.id ?? null;
  }

  /** Stores a new session, replacing the old one in one write; outbox and inbox stay (docs/session.md §2). */
  install(
    contact: string,
    s: { id: string; role: KxRole; state: RatchetState; roomKey: Uint8Array; peerKemPublicKey: Uint8Array },
  ): Promise<void> {
    return this.serial(contact, async () => {
      const tx = this.db.transaction('sessions', 'readwrite');
      const row = (await tx.store.get(contact)) ?? emptySessionRow(contact);
      const session: StoredSession = {
        id: s.id,
        role: s.role,
        state: serializeState(s.state),
        roomKey: s.roomKey,
        peerKemPublicKey: s.peerKemPublicKey,
        createdAt: this.now(),
      };
      await tx.store.put({ ...row, version: row.version + 1, session });
      await tx.done;
    });
  }

  /** Writes an outgoing message: history record + outbox entry, one transaction, before anything is sent. */
  write(contact: string, text: string, sentAt: number): Promise<MessageRecord> {
    return this.serial(contact, async () => {
      const tx = this.db.transaction(['sessions', 'messages'], 'readwrite');
      const row = (await tx.objectStore('sessions').get(contact)) ?? emptySessionRow(contact);
      const { outbox, entry } = enqueue(row.outbox, {}, this.now());
      const m: MessageRecord = { contact, id: entry.id, direction: 'out', text, sentAt, delivered: false };
      await tx.objectStore('messages').put(m);
      await tx.objectStore('sessions').put({ ...row, version: row.version + 1, outbox });
      await tx.done;
      return m;
    });
  }

  /**
   * Notes that outgoing message `id` left on a live link (docs/app.md "Message states"): its
   * history record gets `sentOnLink` the first time. Returns whether the record changed.
   */
  markSent(contact: string, id: string, at: number): Promise<boolean> {
    return this.serial(contact, async () => {
      const tx = this.db.transaction('messages', 'readwrite');
      const m = await tx.store.get([contact, id]);
      const change = !!m && m.direction === 'out' && !m.delivered && !m.sentOnLink;
      if (change) await tx.store.put({ ...m, sentOnLink: at });
      await tx.done;
      return change;
    });
  }

  /** Ids of the messages without a receipt, in order (docs/outbox.md §2). */
  async pendingIds(contact: string): Promise<string[]> {
    const row = await this.row(contact);
    return row ? pending(row.outbox).map((e) => e.id) : [];
  }

  /**
   * Takes the entries this contact's Parley cannot take (`sendable` says no to their inner type:
   * group copies, by their payload, to a peer without `groups`) out of the outbox, in one
   * transaction (docs/protocol.md "Compatibility", docs/groups.md §10.7). The resume point then
   * moves past them, so the contact does not wait for them. Returns their ids.
   */
  withhold(contact: string, sendable: (type: 'chat' | 'group') => boolean): Promise<string[]> {
    return this.serial(contact, async () => {
      const tx = this.db.transaction('sessions', 'readwrite');
      const row = await tx.store.get(contact);
      const out: string[] = [];
      let outbox = row?.outbox;
      for (const e of row ? pending(row.outbox) : []) {
        if (!isGroupPayload(e.payload) || sendable('group')) continue;
        const a = acknowledge(outbox!, e.id);
        if (!a.ok) continue;
        outbox = a.outbox;
        out.push(e.id);
      }
      if (row && out.length > 0) await tx.store.put({ ...row, version: row.version + 1, outbox: outbox! });
      await tx.done;
      return out;
    });
  }

  /** Whether this side may send under its session (the responder waits for the initiator's first message). */
  async canSend(contact: string): Promise<boolean> {
    const s = (await this.row(contact))?.session;
    return !!s && canSend(load(contact, s.state));
  }

  /**
   * A new ratchet message carrying outbox entry `id`, sealed from the stored plaintext under the
   * current session; the ratchet step is committed before it is returned. Every link seals each
   * unreceipted message anew, never resending the same bytes: a receiver that already read them
   * gets `RATCHET_REPLAY` and, the header being encrypted, cannot tell which message it was — so
   * it could not receipt it again, and the message would stay pending for ever. A fresh sealing
   * decrypts, is recognised by its id (inbox) and receipted. Null when it cannot be sent now.
   */
  sealEntry(contact: string, id: string): Promise<Uint8Array | null> {
    return this.serial(contact, async () => {
      const tx = this.db.transaction(['sessions', 'messages', 'groupMessages'], 'readwrite');
      const row = await tx.objectStore('sessions').get(contact);
      const entry = row?.outbox.entries.find((e) => e.id === id);
      const inner = entry && (await entryInner(tx, contact, entry.id, entry.payload));
      const state = row?.session && load(contact, row.session.state);
      if (!row?.session || !state || !inner || !canSend(state)) {
        await tx.done;
        return null;
      }
      const sealed = encrypt(state, encodeWire(inner));
      await tx
        .objectStore('sessions')
        .put({ ...row, version: row.version + 1, session: { ...row.session, state: serializeState(sealed.state) } });
      await tx.done;
      return sealed.message;
    });
  }

  /**
   * Seals a receipt, the resume point or this link's file key under the session (state committed
   * first); null if it cannot send. A file key is per link (docs/session.md §6): no outbox entry.
   */
  sealControl(
    contact: string,
    inner:
      Extract<WireMessage, { type: 'receipt' | 'resume' | 'file-key' | 'unsupported' | 'features-check' }> | 'resume',
  ): Promise<Uint8Array | null> {
    return this.serial(contact, async () => {
      const tx = this.db.transaction('sessions', 'readwrite');
      const row = await tx.store.get(contact);
      if (!row?.session) {
        await tx.done;
        return null;
      }
      const state = load(contact, row.session.state);
      if (!canSend(state)) {
        await tx.done;
        return null;
      }
      const msg: WireMessage = inner === 'resume' ? { type: 'resume', ...resumePoint(row.outbox) } : inner;
      const sealed = encrypt(state, encodeWire(msg));
      await tx.store.put({
        ...row,
        version: row.version + 1,
        session: { ...row.session, state: serializeState(sealed.state) },
      });
      await tx.done;
      return sealed.message;
    });
  }

  /**
   * Decrypts a ratchet message and applies it — chat (inbox + history), receipt (outbox +
   * delivered mark) or resume point — with the ratchet step, in ONE transaction. Replays and bad
   * messages are outcomes; a storage failure rejects and changes nothing.
   */
  receive(contact: string, wire: Uint8Array, admit?: ChatAdmission): Promise<SessionReceiveOutcome> {
    return this.serial(contact, async () => {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const row = await this.row(contact);
        if (!row?.session)
          return {
            status: 'no-session',
            failure: failure(
              'SESSION_NONE',
              'receiver',
              'sessions.receive',
              'a ratchet message arrived but there is no session with this contact',
            ),
          };
        const now = this.now();
        const r = await decrypt(load(contact, row.session.state), wire, now);
        if (!r.ok) return { status: r.code === 'RATCHET_REPLAY' ? 'replay' : 'rejected', failure: r };
        const verdict = judgeInner(r.plaintext, decodeWire(r.plaintext), this.own);
        const outcome = await this.commit(row, r.newState, verdict, now, admit);
        // A group message (or a resume point releasing held ones) may be in the group inbox now.
        if (outcome?.status === 'ok' && (outcome.kind === 'group' || outcome.kind === 'resume')) this.onGroupInbox?.();
        if (outcome) return outcome;
      }
      throw new Error(`sessions.receive: the session of ${contact} kept changing under us (${MAX_ATTEMPTS} attempts)`);
    });
  }

  private async commit(
    row: SessionRow,
    newState: RatchetState,
    inner: InnerVerdict,
    now: number,
    admit?: ChatAdmission,
  ): Promise<SessionReceiveOutcome | null> {
    const tx = this.db.transaction(['sessions', 'messages', 'groupInbox'], 'readwrite');
    const sessions = tx.objectStore('sessions'),
      messages = tx.objectStore('messages');
    const current = await sessions.get(row.contact);
    if (current?.version !== row.version || !current.session) {
      await tx.done;
      return null;
    }
    const { next, outcome } = await applyMessage(
      { ...current, version: current.version + 1, session: { ...current.session, state: serializeState(newState) } },
      inner,
      messages,
      now,
      admit,
    );
    const controls = {
      abort: () => tx.abort(),
      keepAlive: async (): Promise<never> => {
        for (;;) await sessions.get(row.contact);
      },
    };
    await this.testHooks.onCommitPhase?.('messages-written', controls);
    await sessions.put(next);
    await this.testHooks.onCommitPhase?.('state-written', controls);
    await tx.done;
    return outcome;
  }
}

/** The history store, inside the receive transaction. */
type MessagesInTx = IDBPObjectStore<ParleySchema, ['sessions', 'messages', 'groupInbox'], 'messages', 'readwrite'>;

/** What outbox entry `id` carries: its chat text (from `messages`) or its group message. */
async function entryInner(
  tx: IDBPTransaction<ParleySchema, ['sessions', 'messages', 'groupMessages'], 'readwrite'>,
  contact: string,
  id: string,
  payload: OutPayload,
): Promise<WireMessage | null> {
  if (isGroupPayload(payload)) return groupInner(tx.objectStore('groupMessages'), id, payload);
  const m = await tx.objectStore('messages').get([contact, id]);
  return m ? { type: 'chat', id, text: m.text, sentAt: m.sentAt } : null;
}

/** The row and the outcome after one decrypted message, by its type. */
interface Applied {
  next: SessionRow;
  outcome: SessionReceiveOutcome;
}

/**
 * What one decrypted message does to the contact's row (`next`, state already stepped) and its
 * history. Runs inside the receive transaction: it awaits IndexedDB requests only.
 */
async function applyMessage(
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

/** A chat message, or a group message (`payload.groupBytes`), through the contact's inbox. */
async function applyChat(
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
async function applyUnusable(
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

/** The ids among the receipts to send as `unsupported`: `current` (when unusable) and released unusable ones. */
function withUnsupported(
  o: Extract<SessionReceiveOutcome, { status: 'ok' }>,
  delivered: InboxMessage<InPayload>[],
  current: string | null,
): Extract<SessionReceiveOutcome, { status: 'ok' }> {
  const ids = new Set(delivered.filter((d) => d.payload.unsupported).map((d) => d.id));
  if (current !== null) ids.add(current);
  return {
    ...o,
    unsupported: o.receipts.filter((r) => ids.has(r)),
    changed: o.changed.filter((c) => !ids.has(c)),
  };
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

/** Writes delivered messages to the history; never overwrites a record already there (an id of ours, or one stored earlier). */
async function deliver(
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

function okOutcome(
  kind: 'chat' | 'resume' | 'file-key' | 'group' | Exclude<InnerKindV2, 'not-shown'>,
  delivered: InboxMessage<InPayload>[],
  receipts: string[],
): Extract<SessionReceiveOutcome, { status: 'ok' }> {
  return {
    status: 'ok',
    kind,
    delivered: delivered.length,
    marked: false,
    receipts,
    changed: delivered.filter((d) => d.payload.groupBytes === undefined).map((d) => d.id),
  };
}

function load(contact: string, json: RatchetStateJson): RatchetState {
  const p = parseState(json);
  if (!p.ok) throw new Error(`sessions: the stored ratchet state of ${contact} is corrupt: ${p.message}`);
  return p.state;
}
