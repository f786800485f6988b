/**
 * Who a `ContactPeer` talks to (docs/app.md "One object per contact"): the few facts it needs
 * about its person, and where it notes what it learns. Contacts are the directory today
 * (`contactDirectory`); a group member who is not a contact would get a directory of its own
 * over the group's member list, and the same `ContactPeer`.
 * @module
 */
import type { ConnectionHooks } from './connection-hooks';
import type { ContactRecord } from '../store/db';
import { cleanName, distinctName } from './names';
import { admitsAtOwnReset, meetsContact } from './contact-guard';
import { TokenBucket, type RateSpec } from '../core/rate-budget';

/**
 * Name changes taken from one contact's `hello`: 3 at once, then one a minute. Each is a write of
 * the contact record and a rename line in the chat; a contact alternating names in `hello` as fast
 * as the link allows must not turn that into a flood (docs/security.md "What a malicious contact
 * can do"). A change past it is skipped; the next `hello` (every link sends one) brings it.
 */
export const RENAME_RATE: RateSpec = { capacity: 3, perSecond: 1 / 60 };

/** The person at the other end, as a ContactPeer needs them. */
export interface PeerRecord {
  /** Hex of their Ed25519 key at pairing: their id, which a key change keeps (docs/key-change.md §2). */
  readonly key: string;
  /** Their Ed25519 key now: SHS authenticates it. */
  readonly publicKey: Uint8Array;
  readonly name: string;
  /** From the pairing handshake: derives the reset rooms (docs/session.md §4). */
  readonly contactSecret: Uint8Array;
  /**
   * Whether a caller presenting `key` in our own reset room for this person may complete the
   * handshake (a possible key change, docs/key-change.md §3). Absent: any key may.
   */
  readonly admitsAtOwnReset?: (key: Uint8Array) => boolean;
}

/** Where a ContactPeer reads and notes what it learns about its person (the contact list today). */
export interface PeerDirectory {
  /** The person as known now (read afresh at each meeting); undefined once they are gone (or blocked). */
  find(key: string): PeerRecord | undefined;
  /** A link to them came up. */
  seen(key: string): Promise<void>;
  /** Their `hello` announced this display name (as received: the directory cleans it). */
  announced(key: string, name: string): Promise<void>;
}

/**
 * The contact list as the peers' directory. A name from a `hello` goes through `cleanName`, and
 * `distinctName` adds " (2)" when another contact already shows it (docs/app.md "On every link");
 * name changes are rate-limited per contact ({@link RENAME_RATE}).
 */
export function contactDirectory(
  contacts: {
    get(key: string): ContactRecord | undefined;
    touch(key: string, name?: string): Promise<void>;
    readonly list: readonly ContactRecord[];
  },
  hooks: Pick<ConnectionHooks, 'renamed'>,
  now: () => number = Date.now,
): PeerDirectory {
  const renames = new Map<string, TokenBucket>();
  const mayRename = (key: string) => {
    let b = renames.get(key);
    if (!b) renames.set(key, (b = new TokenBucket(RENAME_RATE, now())));
    return b.take(now());
  };
  return {
    // A blocked contact is not met (contact-guard.ts); our own reset room refuses replaced,
    // blocked and other contacts' keys.
    find: (key) => {
      const c = contacts.get(key);
      if (!meetsContact(c)) return undefined;
      return { ...c, admitsAtOwnReset: (k) => admitsAtOwnReset(contacts.list, contacts.get(key) ?? c, k) };
    },
    seen: (key) => contacts.touch(key),
    announced: async (key, raw) => {
      const clean = cleanName(raw);
      const name = clean && distinctName(clean, key, contacts.list);
      const before = contacts.get(key)?.name;
      if (name && name !== before && mayRename(key)) {
        await contacts.touch(key, name);
        if (before) hooks.renamed?.(key, before, name);
      }
    },
  };
}
