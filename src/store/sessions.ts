/**
 * Per-contact Double Ratchet sessions on IndexedDB (docs/security-ratchet.md, "Persistence"):
 * the ratchet state with a version number, the inbox of received plaintexts by message id, and
 * the outbox, in their own database `parley-sessions` so they never compete with the app
 * store's schema versions.
 *
 * The rule (issue 5, "Persistence without loss"): a received message and the ratchet step it
 * spends are written in ONE readwrite transaction. `decrypt` is async (WebCrypto X25519), and an
 * IndexedDB transaction commits by itself as soon as it waits on anything that is not an
 * IndexedDB request, so the decrypt runs before the transaction, on a state read at version v;
 * the transaction then re-checks v (optimistic concurrency: another tab may have moved on) and
 * writes the new state at v + 1 together with the message. Operations on one contact are also
 * queued in memory, so in one page the re-check only fails across tabs.
 * @module
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import {
  decrypt,
  encrypt,
  canSend,
  parseState,
  serializeState,
  type RatchetState,
  type RatchetStateJson,
} from '../core/ratchet';
import {
  acknowledge,
  createOutbox,
  enqueue,
  parseMessageId,
  pending,
  type Outbox,
  type OutboxEntry,
} from '../core/outbox';
import { failure, type Failure } from '../core/errors';
import { SerialQueues } from './serial';

/** An outbox entry's payload: the plaintext and the ratchet message that carries it (resent as is). */
export interface SentPayload {
  text: string /*hex*/;
  wire: string; /*hex*/
}
/** One stored session: contact key (lowercase hex), version, ratchet state, outbox. */
export interface SessionRecord {
  contact: string;
  version: number;
  state: RatchetStateJson;
  outbox: Outbox<SentPayload>;
}
/** One received message. */
export interface InboxRecord {
  contact: string;
  id: string;
  plaintext: Uint8Array;
  receivedAt: number;
}

interface Schema extends DBSchema {
  sessions: { key: string; value: SessionRecord };
  inbox: { key: [string, string]; value: InboxRecord; indexes: { contact: string } };
}

/** Name of the IndexedDB database holding ratchet sessions. */
export const SESSIONS_DB = 'parley-sessions';

/** What became of a received ratchet message; only `stored` put something in the inbox. */
export type ReceiveOutcome =
  | { status: 'stored'; id: string; plaintext: Uint8Array; receipt: string /*send after this resolves*/ }
  | { status: 'duplicate'; id: string; receipt: string } // decrypted, but the id is already stored (a re-encrypted resend)
  | { status: 'replay'; failure: Failure } // RATCHET_REPLAY: its key was spent (by this message, earlier)
  | { status: 'rejected'; failure: Failure }; // any other decrypt failure, or a bad payload; the state is unchanged

/** Points where the test hooks run (crash tests only; see e2e/ratchet-crash.spec.ts). */
export type CommitPhase = 'state-written' | 'message-written' | 'between-transactions';
export interface CommitHookControls {
  abort(): void;
  keepAlive(): Promise<never>;
}
export interface SessionStoreOptions {
  /** Test hook, called inside the receive transaction (or between the two of the broken store). */
  onCommitPhase?: (phase: CommitPhase, c: CommitHookControls) => void | Promise<void>;
  /** TEST ONLY: write the state and the message in two transactions (the bug the crash test must catch). */
  nonAtomicForTests?: boolean;
  now?: () => number;
}

/** Thrown when another writer kept winning the version check (should not happen in practice). */
export class SessionConflictError extends Error {}

/** Each conflict means another writer made progress, so this bounds only pathological contention. */
const MAX_ATTEMPTS = 64;
const SEPARATOR = 0x0a;

/** Inner plaintext of a session message: `id ‖ 0x0A ‖ body`, so the id is authenticated by the ratchet. */
export function encodePayload(id: string, body: Uint8Array): Uint8Array {
  const idBytes = utf8ToBytes(id);
  const out = new Uint8Array(idBytes.length + 1 + body.length);
  out.set(idBytes);
  out[idBytes.length] = SEPARATOR;
  out.set(body, idBytes.length + 1);
  return out;
}

/** Inverse of {@link encodePayload}; null when there is no valid outbox id in front. */
export function decodePayload(bytes: Uint8Array): { id: string; body: Uint8Array } | null {
  const cut = bytes.subarray(0, 65).indexOf(SEPARATOR);
  if (cut <= 0) return null;
  const id = new TextDecoder().decode(bytes.subarray(0, cut));
  return parseMessageId(id) ? { id, body: bytes.slice(cut + 1) } : null;
}

export class SessionStore {
  private readonly serialQueues = new SerialQueues();
  private constructor(
    private readonly db: IDBPDatabase<Schema>,
    private readonly opts: SessionStoreOptions,
  ) {}

  static async open(name = SESSIONS_DB, opts: SessionStoreOptions = {}): Promise<SessionStore> {
    const db = await openDB<Schema>(name, 1, {
      upgrade(d) {
        d.createObjectStore('sessions', { keyPath: 'contact' });
        d.createObjectStore('inbox', { keyPath: ['contact', 'id'] }).createIndex('contact', 'contact');
      },
    });
    return new SessionStore(db, opts);
  }

  close(): void {
    this.db.close();
  }

  private serial<T>(contact: string, op: () => Promise<T>): Promise<T> {
    return this.serialQueues.run(contact, op);
  }

  /** Creates the session for a contact (after the kx); refuses to replace an existing one. */
  init(contact: string, state: RatchetState, random: (n: number) => Uint8Array): Promise<boolean> {
    return this.serial(contact, async () => {
      const tx = this.db.transaction('sessions', 'readwrite');
      const exists = (await tx.store.get(contact)) !== undefined;
      if (!exists)
        await tx.store.put({
          contact,
          version: 0,
          state: serializeState(state),
          outbox: createOutbox<SentPayload>(random),
        });
      await tx.done;
      return !exists;
    });
  }

  async session(
    contact: string,
  ): Promise<{ version: number; state: RatchetState; outbox: Outbox<SentPayload> } | undefined> {
    const r = await this.db.get('sessions', contact);
    return r && { version: r.version, state: loadState(r), outbox: r.outbox };
  }

  /** The contact's received messages, in key order. */
  messages(contact: string): Promise<InboxRecord[]> {
    return this.db.getAllFromIndex('inbox', 'contact', contact);
  }

  /** Outgoing messages without a receipt, in order: resend their `wire` bytes on every link. */
  async pending(contact: string): Promise<readonly OutboxEntry<SentPayload>[]> {
    const r = await this.db.get('sessions', contact);
    return r ? pending(r.outbox) : [];
  }

  /**
   * Encrypts `plaintext` for `contact` and persists the new state and the outbox entry in one
   * transaction before returning the ratchet message: a message the peer may read is never one
   * whose key we could reuse after a crash. `encrypt` is synchronous, so it runs inside the
   * transaction. Throws if there is no session or it cannot send yet (programmer's mistake).
   */
  send(contact: string, plaintext: Uint8Array): Promise<{ id: string; wire: Uint8Array }> {
    return this.serial(contact, async () => {
      const tx = this.db.transaction('sessions', 'readwrite');
      const rec = await tx.store.get(contact);
      if (!rec) throw new Error(`sessions.send: no session for contact ${contact}`);
      const state = loadState(rec);
      if (!canSend(state))
        throw new Error(
          `sessions.send: contact ${contact} has not sent its first message yet (the responder cannot send before it)`,
        );
      const now = this.now();
      const id = `${rec.outbox.stream}-${rec.outbox.nextSeq}`;
      const sealed = encrypt(state, encodePayload(id, plaintext));
      const { outbox, entry } = enqueue(
        rec.outbox,
        { text: bytesToHex(plaintext), wire: bytesToHex(sealed.message) },
        now,
      );
      if (entry.id !== id) throw new Error(`sessions.send: outbox id ${entry.id} is not the predicted ${id}`);
      await tx.store.put({ contact, version: rec.version + 1, state: serializeState(sealed.state), outbox });
      await tx.done;
      return { id, wire: sealed.message };
    });
  }

  /** A receipt from the peer: the entry leaves the outbox. Unknown receipts change nothing. */
  acknowledge(contact: string, receiptId: string): Promise<boolean> {
    return this.serial(contact, async () => {
      const tx = this.db.transaction('sessions', 'readwrite');
      const rec = await tx.store.get(contact);
      const r = rec && acknowledge(rec.outbox, receiptId);
      if (rec && r?.ok && r.delivered) await tx.store.put({ ...rec, version: rec.version + 1, outbox: r.outbox });
      await tx.done;
      return !!(r?.ok && r.delivered);
    });
  }

  /**
   * Decrypts a ratchet message from `contact` and stores it with the ratchet step it spends, in
   * one transaction (see the module comment). Replays and bad messages are outcomes, not errors;
   * a storage failure (an aborted transaction) rejects and leaves both stores as they were, so
   * delivering the same bytes again is always safe.
   */
  receive(contact: string, wire: Uint8Array): Promise<ReceiveOutcome> {
    return this.serial(contact, async () => {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const rec = await this.db.get('sessions', contact);
        if (!rec) throw new Error(`sessions.receive: no session for contact ${contact}`);
        const r = await decrypt(loadState(rec), wire, this.now()); // outside any transaction
        if (!r.ok)
          return r.code === 'RATCHET_REPLAY' ? { status: 'replay', failure: r } : { status: 'rejected', failure: r };
        const payload = decodePayload(r.plaintext);
        const outcome = this.opts.nonAtomicForTests
          ? await this.commitNonAtomic(rec, r.newState, payload)
          : await this.commit(rec, r.newState, payload);
        if (outcome) return outcome;
      }
      throw new SessionConflictError(
        `sessions.receive: the state of ${contact} kept changing under us (${MAX_ATTEMPTS} attempts)`,
      );
    });
  }

  /** The one transaction; null when the version moved on (retry from the start). */
  private async commit(
    rec: SessionRecord,
    newState: RatchetState,
    payload: { id: string; body: Uint8Array } | null,
  ): Promise<ReceiveOutcome | null> {
    const tx = this.db.transaction(['sessions', 'inbox'], 'readwrite');
    const sessions = tx.objectStore('sessions'),
      inbox = tx.objectStore('inbox');
    const controls: CommitHookControls = {
      abort: () => tx.abort(),
      keepAlive: async () => {
        for (;;) await sessions.get(rec.contact);
      },
    };
    const current = await sessions.get(rec.contact);
    if (current?.version !== rec.version) {
      await tx.done;
      return null;
    }
    await sessions.put({ ...current, version: current.version + 1, state: serializeState(newState) });
    await this.opts.onCommitPhase?.('state-written', controls);
    let outcome: ReceiveOutcome;
    if (!payload) {
      outcome = { status: 'rejected', failure: badPayload() };
    } else if ((await inbox.getKey([rec.contact, payload.id])) !== undefined) {
      outcome = { status: 'duplicate', id: payload.id, receipt: payload.id };
    } else {
      await inbox.put({ contact: rec.contact, id: payload.id, plaintext: payload.body, receivedAt: this.now() });
      outcome = { status: 'stored', id: payload.id, plaintext: payload.body, receipt: payload.id };
    }
    await this.opts.onCommitPhase?.('message-written', controls);
    await tx.done;
    return outcome;
  }

  /** The broken scheme, for the crash test only: state first, message in a second transaction. */
  private async commitNonAtomic(
    rec: SessionRecord,
    newState: RatchetState,
    payload: { id: string; body: Uint8Array } | null,
  ): Promise<ReceiveOutcome | null> {
    const t1 = this.db.transaction('sessions', 'readwrite');
    const current = await t1.store.get(rec.contact);
    if (current?.version !== rec.version) {
      await t1.done;
      return null;
    }
    await t1.store.put({ ...current, version: current.version + 1, state: serializeState(newState) });
    await t1.done;
    const t2 = this.db.transaction('inbox', 'readwrite');
    await this.opts.onCommitPhase?.('between-transactions', {
      abort: () => t2.abort(),
      keepAlive: async () => {
        for (;;) await t2.store.count();
      },
    });
    if (!payload) {
      await t2.done;
      return { status: 'rejected', failure: badPayload() };
    }
    const dup = (await t2.store.getKey([rec.contact, payload.id])) !== undefined;
    if (!dup)
      await t2.store.put({ contact: rec.contact, id: payload.id, plaintext: payload.body, receivedAt: this.now() });
    await t2.done;
    return dup
      ? { status: 'duplicate', id: payload.id, receipt: payload.id }
      : { status: 'stored', id: payload.id, plaintext: payload.body, receipt: payload.id };
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }
}

function loadState(rec: SessionRecord): RatchetState {
  const p = parseState(rec.state);
  if (!p.ok) throw new Error(`sessions: the stored ratchet state of ${rec.contact} is corrupt: ${p.message}`);
  return p.state;
}

function badPayload(): Failure<'SESSION_BAD_PAYLOAD'> {
  return failure(
    'SESSION_BAD_PAYLOAD',
    'receiver',
    'sessions.receive',
    'the decrypted message does not start with a valid message id: the peer sent a malformed payload (its ratchet step is kept, the message dropped)',
  );
}
