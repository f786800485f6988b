/**
 * Parley's IndexedDB database (through `idb`): one database, versioned schema. Everything the
 * app remembers between visits lives here — the identity seed, contacts, the invites this
 * browser created, message history and the outbox of messages not yet handed to a peer.
 *
 * Keys that are bytes are stored as `Uint8Array` (structured clone keeps them); contacts and
 * messages are keyed by the contact's public key in lowercase hex so the key is a valid
 * IndexedDB key.
 * @module
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';

/** The one local identity: Ed25519 seed and the display name shown to contacts. */
export interface IdentityRecord {
  id: 'self';
  seed: Uint8Array;          // 32-byte Ed25519 seed; the secret key is seed ‖ publicKey
  publicKey: Uint8Array;     // 32
  name: string;              // '' until the person has chosen one
  createdAt: number;
}

export interface ContactRecord {
  key: string;               // the contact's id: hex of its key when paired (publicKey differs after an accepted key change)
  publicKey: Uint8Array;     // 32
  name: string;
  contactSecret: Uint8Array; // deriveContactSecret(handshakeSecret) from the pairing
  addedAt: number;
  lastSeen: number;          // last time a secure link to them was up (0 = never since pairing)
  verified?: boolean;        // safety number compared (kept through a backup; absent = false)
  /** A different key this contact presented, waiting for the person to accept it (docs/key-change.md). */
  keyChange?: { newKey: Uint8Array; seenAt: number };
}

export interface InviteRecord {
  id: string;                // hex of rendezvousSecret
  rendezvousSecret: Uint8Array;
  inviteSecret: Uint8Array;
  createdAt: number;
  expiresAt: number;
  used: boolean;
  name?: string;             // the display name put into the link, if any
}

export interface MessageRecord {
  contact: string;           // hex of the contact's public key
  id: string;                // random, chosen by the sender
  direction: 'in' | 'out';
  text: string;
  sentAt: number;            // the sender's clock
  receivedAt?: number;       // for incoming messages, our clock
  delivered: boolean;        // outgoing: a receipt came back; incoming: always true
}

export interface OutboxRecord {
  seq?: number;              // auto-increment: flush order
  contact: string;
  messageId: string;
}

interface ParleySchema extends DBSchema {
  identity: { key: 'self'; value: IdentityRecord };
  contacts: { key: string; value: ContactRecord };
  invites: { key: string; value: InviteRecord };
  messages: { key: [string, string]; value: MessageRecord; indexes: { byContactTime: [string, number] } };
  outbox: { key: number; value: OutboxRecord; indexes: { byContact: string } };
}

export const DB_NAME = 'parley';
export const DB_VERSION = 1;

/** Typed access to the database; every method is one transaction. */
export class ParleyStore {
  private constructor(private readonly db: IDBPDatabase<ParleySchema>) {}

  /** Opens (creating or upgrading) the database. */
  static async open(name = DB_NAME): Promise<ParleyStore> {
    const db = await openDB<ParleySchema>(name, DB_VERSION, {
      upgrade(db, oldVersion) {
        // Version 1: the initial schema. Later versions add steps below, keyed on oldVersion.
        if (oldVersion < 1) {
          db.createObjectStore('identity', { keyPath: 'id' });
          db.createObjectStore('contacts', { keyPath: 'key' });
          db.createObjectStore('invites', { keyPath: 'id' });
          const messages = db.createObjectStore('messages', { keyPath: ['contact', 'id'] });
          messages.createIndex('byContactTime', ['contact', 'sentAt']);
          const outbox = db.createObjectStore('outbox', { keyPath: 'seq', autoIncrement: true });
          outbox.createIndex('byContact', 'contact');
        }
      },
    });
    return new ParleyStore(db);
  }

  close(): void { this.db.close(); }

  // identity
  getIdentity(): Promise<IdentityRecord | undefined> { return this.db.get('identity', 'self'); }
  async putIdentity(r: IdentityRecord): Promise<void> { await this.db.put('identity', r); }

  // contacts
  getContact(key: string): Promise<ContactRecord | undefined> { return this.db.get('contacts', key); }
  listContacts(): Promise<ContactRecord[]> { return this.db.getAll('contacts'); }
  async putContact(r: ContactRecord): Promise<void> { await this.db.put('contacts', r); }
  async touchContact(key: string, lastSeen: number, name?: string): Promise<ContactRecord | undefined> {
    const tx = this.db.transaction('contacts', 'readwrite');
    const c = await tx.store.get(key);
    if (c) {
      c.lastSeen = lastSeen;
      if (name) c.name = name;
      await tx.store.put(c);
    }
    await tx.done;
    return c;
  }

  /**
   * Read-modify-write of one contact in one transaction, so a concurrent `touchContact` is not
   * overwritten with a stale copy. `change` returns the new record; undefined for unknown keys.
   */
  async updateContact(key: string, change: (c: ContactRecord) => ContactRecord): Promise<ContactRecord | undefined> {
    const tx = this.db.transaction('contacts', 'readwrite');
    const c = await tx.store.get(key);
    const next = c && change(c);
    if (next) await tx.store.put(next);
    await tx.done;
    return next;
  }

  /**
   * Replaces this browser's identity key, keeping name, contacts and history (docs/key-change.md
   * §4), in one transaction: every contact becomes unverified (the numbers compared were for the
   * old key) and the invites go (they carry the old key, so they could not complete any more).
   */
  async rotateIdentity(identity: IdentityRecord): Promise<void> {
    const tx = this.db.transaction(['identity', 'contacts', 'invites'], 'readwrite');
    await tx.objectStore('identity').put(identity);
    for (const c of await tx.objectStore('contacts').getAll()) await tx.objectStore('contacts').put({ ...c, verified: false });
    await tx.objectStore('invites').clear();
    await tx.done;
  }

  /**
   * Imports a backup's identity and contacts in one transaction (docs/app.md, "Backup"). With
   * `keepHistory` (the same identity restored again) contacts are added or updated and history
   * stays; otherwise everything of the old identity (contacts, invites, messages, outbox) goes.
   */
  async replaceIdentity(identity: IdentityRecord, contacts: ContactRecord[], keepHistory: boolean): Promise<void> {
    const tx = this.db.transaction(['identity', 'contacts', 'invites', 'messages', 'outbox'], 'readwrite');
    if (!keepHistory) for (const s of ['contacts', 'invites', 'messages', 'outbox'] as const) await tx.objectStore(s).clear();
    await tx.objectStore('identity').put(identity);
    for (const c of contacts) {
      const old = keepHistory ? await tx.objectStore('contacts').get(c.key) : undefined;
      await tx.objectStore('contacts').put(old ? { ...c, lastSeen: old.lastSeen } : c);
    }
    await tx.done;
  }

  // invites
  getInvite(id: string): Promise<InviteRecord | undefined> { return this.db.get('invites', id); }
  listInvites(): Promise<InviteRecord[]> { return this.db.getAll('invites'); }
  async putInvite(r: InviteRecord): Promise<void> { await this.db.put('invites', r); }
  /** Marks an invite used; returns false when it already was (so only one invitee wins). */
  async claimInvite(id: string): Promise<boolean> {
    const tx = this.db.transaction('invites', 'readwrite');
    const inv = await tx.store.get(id);
    if (!inv || inv.used) { await tx.done; return false; }
    inv.used = true;
    await tx.store.put(inv);
    await tx.done;
    return true;
  }
  async deleteInvite(id: string): Promise<void> { await this.db.delete('invites', id); }

  // messages + outbox
  /** Stores an outgoing message and queues it in the outbox, in one transaction. */
  async addOutgoing(m: MessageRecord): Promise<void> {
    const tx = this.db.transaction(['messages', 'outbox'], 'readwrite');
    await tx.objectStore('messages').put(m);
    await tx.objectStore('outbox').add({ contact: m.contact, messageId: m.id });
    await tx.done;
  }
  /** Stores an incoming message; returns false when it was already there (a resend). */
  async addIncoming(m: MessageRecord): Promise<boolean> {
    const tx = this.db.transaction('messages', 'readwrite');
    const existing = await tx.store.get([m.contact, m.id]);
    if (!existing) await tx.store.put(m);
    await tx.done;
    return !existing;
  }
  /** Marks an outgoing message delivered; returns false for unknown ids. */
  async markDelivered(contact: string, id: string): Promise<boolean> {
    const tx = this.db.transaction('messages', 'readwrite');
    const m = await tx.store.get([contact, id]);
    if (m && m.direction === 'out' && !m.delivered) { m.delivered = true; await tx.store.put(m); }
    await tx.done;
    return !!m;
  }
  getMessage(contact: string, id: string): Promise<MessageRecord | undefined> { return this.db.get('messages', [contact, id]); }
  /** A contact's history, oldest first. */
  listMessages(contact: string): Promise<MessageRecord[]> {
    return this.db.getAllFromIndex('messages', 'byContactTime', IDBKeyRange.bound([contact, -Infinity], [contact, Infinity]));
  }
  /** The outbox of one contact, in the order the messages were written. */
  async listOutbox(contact: string): Promise<Required<OutboxRecord>[]> {
    const rows = await this.db.getAllFromIndex('outbox', 'byContact', contact);
    return (rows as Required<OutboxRecord>[]).sort((a, b) => a.seq - b.seq);
  }
  async removeFromOutbox(seq: number): Promise<void> { await this.db.delete('outbox', seq); }
}
