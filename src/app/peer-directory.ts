/**
 * Who a `ContactPeer` talks to (docs/app.md "One object per contact"): the few facts it needs
 * about its person, and where it notes what it learns. Contacts are the directory today
 * (`contactDirectory`); a group member who is not a contact would get a directory of its own
 * over the group's member list, and the same `ContactPeer`.
 * @module
 */
import type { ConnectionHooks } from './connection-hooks';
import type { ContactsState } from './contacts.svelte';
import { cleanName, distinctName } from './names';

/** The person at the other end, as a ContactPeer needs them. */
export interface PeerRecord {
  /** Hex of their Ed25519 key at pairing: their id, which a key change keeps (docs/key-change.md §2). */
  readonly key: string;
  /** Their Ed25519 key now: SHS authenticates it. */
  readonly publicKey: Uint8Array;
  readonly name: string;
  /** From the pairing handshake: derives the reset rooms (docs/session.md §4). */
  readonly contactSecret: Uint8Array;
}

/** Where a ContactPeer reads and notes what it learns about its person (the contact list today). */
export interface PeerDirectory {
  /** The person as known now (read afresh at each meeting); undefined once they are gone. */
  find(key: string): PeerRecord | undefined;
  /** A link to them came up. */
  seen(key: string): Promise<void>;
  /** Their `hello` announced this display name (as received: the directory cleans it). */
  announced(key: string, name: string): Promise<void>;
}

/**
 * The contact list as the peers' directory. A name from a `hello` goes through `cleanName`, and
 * `distinctName` adds " (2)" when another contact already shows it (docs/app.md "On every link").
 */
export function contactDirectory(contacts: ContactsState, hooks: ConnectionHooks): PeerDirectory {
  return {
    find: (key) => contacts.get(key),
    seen: (key) => contacts.touch(key),
    announced: async (key, raw) => {
      const clean = cleanName(raw);
      const name = clean && distinctName(clean, key, contacts.list);
      const before = contacts.get(key)?.name;
      if (name && name !== before) {
        await contacts.touch(key, name);
        if (before) hooks.renamed?.(key, before, name);
      }
    },
  };
}
