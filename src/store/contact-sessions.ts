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
 * Operations on one contact are queued in memory, one at a time. The pieces live beside it:
 * the row's types in `session-row.ts`, the stored ratchet state and sealing in `session-seal.ts`,
 * the receive outcome in `session-outcome.ts`, what a decrypted message does in
 * `session-apply.ts` and, through the inbox, in `session-inbox.ts`.
 * @module
 */
import { canSend, decrypt, serializeState, type RatchetState } from '../core/ratchet';
import { acknowledge, enqueue, pending, resumePoint } from '../core/outbox';
import { decodeWire, type WireMessage } from '../core/wire';
import { failure } from '../core/errors';
import type { KxRole } from '../core/kx';
import { CURRENT, type Announcement } from '../core/features';
import type { MessageRecord, ParleyDb } from './db';
import { SerialQueues } from './serial';
import { isGroupPayload } from './group-outbox';
import { judgeInner, type InnerVerdict } from './inner-rules';
import { emptySessionRow, type InPayload, type OutPayload, type SessionRow, type StoredSession } from './session-row';
import type { ChatAdmission, SessionReceiveOutcome } from './session-outcome';
import { applyMessage } from './session-apply';
import { entryInner, loadState, sealWith, steppedRow } from './session-seal';

// The row's types live in session-row.ts (db.ts needs them without importing this module); the
// receive outcome in session-outcome.ts, the bound on held text in session-inbox.ts.
export { emptySessionRow };
export type { InPayload, OutPayload, SessionRow, StoredSession };
export type { ChatAdmission, SessionReceiveOutcome };
export { MAX_HELD_TEXT_BYTES } from './session-inbox';

/** Crash-test hook (e2e/contact-sessions.spec.ts): runs inside the receive transaction. */
export interface ContactSessionsTestHooks {
  onCommitPhase?(
    phase: 'messages-written' | 'state-written',
    c: { abort(): void; keepAlive(): Promise<never> },
  ): void | Promise<void>;
}

const MAX_ATTEMPTS = 64;

/**
 * The `sessions` store of the app's database (docs/session.md §3): every read and write of a
 * contact's session, outbox and inbox, one operation per contact at a time.
 */
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

  /** The session row of `contact`, if it has one. */
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
    return !!s && canSend(loadState(contact, s.state));
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
      const state = row?.session && loadState(contact, row.session.state);
      if (!row?.session || !state || !inner || !canSend(state)) {
        await tx.done;
        return null;
      }
      const sealed = sealWith(row, row.session, state, inner);
      await tx.objectStore('sessions').put(sealed.row);
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
      const state = loadState(contact, row.session.state);
      if (!canSend(state)) {
        await tx.done;
        return null;
      }
      const msg: WireMessage = inner === 'resume' ? { type: 'resume', ...resumePoint(row.outbox) } : inner;
      const sealed = sealWith(row, row.session, state, msg);
      await tx.store.put(sealed.row);
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
        const r = await decrypt(loadState(contact, row.session.state), wire, now);
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

  /**
   * One receive attempt's transaction (docs/security-ratchet.md "Persistence"): null when the row
   * changed since `row` was read (the caller starts again), else the outcome, written with the
   * stepped state.
   */
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
      steppedRow(current, current.session, newState),
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
