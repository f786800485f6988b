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
import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb';
import type { SessionRow } from './session-row';
import { migrateOutboxV2, type OutboxRecord } from './migrate-v2';
import type { GroupInboxRecord, GroupMessageRecord, GroupPeerRecord, GroupRecord } from './group-records';

/** The one local identity: Ed25519 seed and the display name shown to contacts. */
export interface IdentityRecord {
  id: 'self';
  seed: Uint8Array; // 32-byte Ed25519 seed; the secret key is seed ‖ publicKey
  publicKey: Uint8Array; // 32
  name: string; // '' until the person has chosen one
  createdAt: number;
}

export interface ContactRecord {
  key: string; // the contact's id: hex of its key when paired (publicKey differs after an accepted key change)
  publicKey: Uint8Array; // 32
  name: string; // the name they chose (their `hello`, the invite), made distinct from other contacts'
  /** The person's own label for them, shown instead of `name` (docs/app.md "Renaming a contact"); absent = none. */
  label?: string;
  contactSecret: Uint8Array; // deriveContactSecret(handshakeSecret) from the pairing
  addedAt: number;
  lastSeen: number; // last time a secure link to them was up (0 = never since pairing)
  verified?: boolean; // safety number compared (kept through a backup; absent = false)
  /** A different key this contact presented, waiting for the person to accept it (docs/key-change.md). */
  keyChange?: { newKey: Uint8Array; seenAt: number };
  /** When and why the secure session was last reset, for the chat's notice (docs/key-change.md §5). */
  lastReset?: { at: number; cause: 'asked' | 'failures' | 'contact' | 'key' };
  /** Keys this contact used before an accepted key change, oldest first; never paired with again (contact-guard.ts). */
  formerKeys?: Uint8Array[];
  /** Blocked by the person: not met, refused at invites and in reset rooms (docs/app.md "Removing and blocking"). */
  blocked?: boolean;
}

export interface InviteRecord {
  id: string; // hex of rendezvousSecret
  rendezvousSecret: Uint8Array;
  inviteSecret: Uint8Array;
  createdAt: number;
  expiresAt: number;
  used: boolean;
  name?: string; // the display name put into the link, if any
  /** A group invite (docs/groups.md §4.5): hex of the group whoever pairs through it is vouched for. */
  group?: string;
}

export interface MessageRecord {
  contact: string; // hex of the contact's public key
  id: string; // random, chosen by the sender
  direction: 'in' | 'out';
  text: string;
  sentAt: number; // the sender's clock
  receivedAt?: number; // for incoming messages, our clock
  delivered: boolean; // outgoing: a receipt came back; incoming: always true
  /** Outgoing: when it was left in the contact's mailbox at the relay (docs/app.md "Mailbox"). */
  mailboxAt?: number;
  /** Outgoing: the contact's Parley received it but could not use it (an `unsupported` receipt). */
  notShown?: true;
  /** Outgoing: when it was first sealed and handed to a live link (absent = still pending; docs/app.md "Message states"). */
  sentOnLink?: number;
}

export type { OutboxRecord };

/** The schema (docs/session.md §3): version 2 replaced `outbox` by `sessions`; version 3 added groups (docs/groups.md §10.2). */
export interface ParleySchema extends DBSchema {
  identity: { key: 'self'; value: IdentityRecord };
  contacts: { key: string; value: ContactRecord };
  invites: { key: string; value: InviteRecord };
  messages: { key: [string, string]; value: MessageRecord; indexes: { byContactTime: [string, number] } };
  /** Per contact: the ratchet session (if any), the outbox and the inbox (docs/session.md §3). */
  sessions: { key: string; value: SessionRow };
  /** One row per group (docs/groups.md §10.2), by group id (hex). */
  groups: { key: string; value: GroupRecord };
  /** Group timelines: member messages and notices, by [group, id]. */
  groupMessages: { key: [string, string]; value: GroupMessageRecord };
  /** Members met through an introduction who are not contacts, by key (hex). */
  groupPeers: { key: string; value: GroupPeerRecord };
  /** Received group messages the group state has not taken yet, in arrival order. */
  groupInbox: { key: number; value: GroupInboxRecord; indexes: { byFrom: string } };
}
/** Version 1's store, only read by the version 2 migration. */
export interface ParleySchemaV1 extends DBSchema {
  messages: { key: [string, string]; value: MessageRecord; indexes: { byContactTime: [string, number] } };
  outbox: { key: number; value: OutboxRecord; indexes: { byContact: string } };
}
export type ParleyDb = IDBPDatabase<ParleySchema>;
export type UpgradeTx = IDBPTransaction<ParleySchema, StoreNames<ParleySchema>[], 'versionchange'>;

export const DB_NAME = 'parley';
/** What belongs to one identity and goes when another identity is imported (groups too: their keys were the old one's). */
const IDENTITY_STORES = [
  'contacts',
  'invites',
  'messages',
  'sessions',
  'groups',
  'groupMessages',
  'groupPeers',
  'groupInbox',
] as const;
export const DB_VERSION = 3;

/** Typed access to the database; every method is one transaction. */
export class ParleyStore {
  private constructor(private readonly db: IDBPDatabase<ParleySchema>) {}

  /** Opens (creating or upgrading) the database. */
  static async open(name = DB_NAME): Promise<ParleyStore> {
    const db = await openDB<ParleySchema>(name, DB_VERSION, {
      async upgrade(db, oldVersion, _newVersion, tx) {
        // Version 1: the initial schema. Later versions add steps below, keyed on oldVersion.
        if (oldVersion < 1) {
          db.createObjectStore('identity', { keyPath: 'id' });
          db.createObjectStore('contacts', { keyPath: 'key' });
          db.createObjectStore('invites', { keyPath: 'id' });
          const messages = db.createObjectStore('messages', { keyPath: ['contact', 'id'] });
          messages.createIndex('byContactTime', ['contact', 'sentAt']);
        }
        // Version 2 (docs/session.md §3): sessions (ratchet + outbox + inbox per contact) in this
        // database, so a received message and its ratchet step are one transaction; version 1's
        // unsent messages move into the new outbox.
        if (oldVersion < 2) {
          db.createObjectStore('sessions', { keyPath: 'contact' });
          if (oldVersion >= 1) await migrateOutboxV2(db as never, tx as never);
        }
        // Version 3 (docs/groups.md §10.2): groups, their timelines, introduced members and the
        // group inbox. Nothing to migrate: no version before had groups.
        if (oldVersion < 3) {
          db.createObjectStore('groups', { keyPath: 'id' });
          db.createObjectStore('groupMessages', { keyPath: ['group', 'id'] });
          db.createObjectStore('groupPeers', { keyPath: 'key' });
          db.createObjectStore('groupInbox', { keyPath: 'seq', autoIncrement: true }).createIndex('byFrom', 'from');
        }
      },
    });
    return new ParleyStore(db);
  }

  close(): void {
    this.db.close();
  }

  /** The database, for the session store (`contact-sessions.ts`), which shares its transactions. */
  get database(): ParleyDb {
    return this.db;
  }

  // identity
  getIdentity(): Promise<IdentityRecord | undefined> {
    return this.db.get('identity', 'self');
  }
  async putIdentity(r: IdentityRecord): Promise<void> {
    await this.db.put('identity', r);
  }

  // contacts
  getContact(key: string): Promise<ContactRecord | undefined> {
    return this.db.get('contacts', key);
  }
  listContacts(): Promise<ContactRecord[]> {
    return this.db.getAll('contacts');
  }
  async putContact(r: ContactRecord): Promise<void> {
    await this.db.put('contacts', r);
  }
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
   * old key), the invites go (they carry the old key, so they could not complete any more) and
   * every contact's session is dropped (its outbox stays).
   */
  async rotateIdentity(identity: IdentityRecord): Promise<void> {
    const tx = this.db.transaction(['identity', 'contacts', 'invites', 'sessions'], 'readwrite');
    await tx.objectStore('identity').put(identity);
    for (const c of await tx.objectStore('contacts').getAll())
      await tx.objectStore('contacts').put({ ...c, verified: false });
    await tx.objectStore('invites').clear();
    // The sessions were agreed with the old key: without one, the contact loop meets each contact
    // through its reset room, where the contact sees the new key (docs/key-change.md §3). The
    // outboxes stay; what had no receipt is sealed again under the next session.
    for (const row of await tx.objectStore('sessions').getAll())
      await tx.objectStore('sessions').put({ ...row, version: row.version + 1, session: null });
    await tx.done;
  }

  /**
   * Imports a backup's identity and contacts in one transaction (docs/app.md, "Backup"). With
   * `keepHistory` (the same identity restored again) contacts are added or updated and history
   * stays; otherwise everything of the old identity (contacts, invites, messages, sessions) goes.
   */
  async replaceIdentity(identity: IdentityRecord, contacts: ContactRecord[], keepHistory: boolean): Promise<void> {
    const tx = this.db.transaction([...IDENTITY_STORES, 'identity'], 'readwrite');
    if (!keepHistory) for (const s of IDENTITY_STORES) await tx.objectStore(s).clear();
    await tx.objectStore('identity').put(identity);
    for (const c of contacts) {
      const old = keepHistory ? await tx.objectStore('contacts').get(c.key) : undefined;
      await tx.objectStore('contacts').put(old ? { ...c, lastSeen: old.lastSeen } : c);
    }
    await tx.done;
  }

  /**
   * Removes a contact (docs/app.md "Removing and blocking") in one transaction: its record and its
   * session row (ratchet, outbox, inbox); with `history` also every message of it.
   */
  async removeContact(key: string, history: boolean): Promise<void> {
    const tx = this.db.transaction(['contacts', 'sessions', 'messages'], 'readwrite');
    await tx.objectStore('contacts').delete(key);
    await tx.objectStore('sessions').delete(key);
    if (history) await tx.objectStore('messages').delete(IDBKeyRange.bound([key], [key, []]));
    await tx.done;
  }

  // invites
  getInvite(id: string): Promise<InviteRecord | undefined> {
    return this.db.get('invites', id);
  }
  listInvites(): Promise<InviteRecord[]> {
    return this.db.getAll('invites');
  }
  async putInvite(r: InviteRecord): Promise<void> {
    await this.db.put('invites', r);
  }
  /** Marks an invite used; returns false when it already was (so only one invitee wins). */
  async claimInvite(id: string): Promise<boolean> {
    const tx = this.db.transaction('invites', 'readwrite');
    const inv = await tx.store.get(id);
    if (!inv || inv.used) {
      await tx.done;
      return false;
    }
    inv.used = true;
    await tx.store.put(inv);
    await tx.done;
    return true;
  }
  async deleteInvite(id: string): Promise<void> {
    await this.db.delete('invites', id);
  }

  // messages (written with their session row: contact-sessions.ts)
  getMessage(contact: string, id: string): Promise<MessageRecord | undefined> {
    return this.db.get('messages', [contact, id]);
  }
  /**
   * One page of a contact's history (docs/app.md "Chat history"): the newest `limit` messages
   * before `before` (or the newest of all), oldest first, and whether older ones remain. Walks the
   * `byContactTime` index backwards, so a page costs O(limit), not O(history).
   */
  async listMessagesPage(
    contact: string,
    limit: number,
    before?: Pick<MessageRecord, 'sentAt' | 'id'>,
  ): Promise<{ messages: MessageRecord[]; more: boolean }> {
    if (!Number.isSafeInteger(limit) || limit < 1)
      throw new RangeError(`listMessagesPage: limit must be ≥ 1, got ${limit}`);
    const range = IDBKeyRange.bound([contact, -Infinity], [contact, before?.sentAt ?? Infinity]);
    const out: MessageRecord[] = [];
    let cursor = await this.db.transaction('messages').store.index('byContactTime').openCursor(range, 'prev');
    // Same sentAt as `before`: only those listed before it (by id, as upsertMessage orders them).
    while (cursor && out.length <= limit) {
      const m = cursor.value;
      if (!before || m.sentAt < before.sentAt || m.id < before.id) out.push(m);
      cursor = await cursor.continue();
    }
    const more = out.length > limit;
    return { messages: out.slice(0, limit).reverse(), more };
  }

  /** The time of a contact's newest message (`sentAt`), or 0 without any: its last activity. */
  async lastMessageAt(contact: string): Promise<number> {
    const range = IDBKeyRange.bound([contact, -Infinity], [contact, Infinity]);
    const c = await this.db.transaction('messages').store.index('byContactTime').openCursor(range, 'prev');
    return c?.value.sentAt ?? 0;
  }

  /** A contact's history, oldest first. */
  listMessages(contact: string): Promise<MessageRecord[]> {
    return this.db.getAllFromIndex(
      'messages',
      'byContactTime',
      IDBKeyRange.bound([contact, -Infinity], [contact, Infinity]),
    );
  }
}
