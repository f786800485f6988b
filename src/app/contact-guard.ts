/**
 * Which identity keys may become, or meet us as, a contact (docs/security.md "Pairing never
 * changes a contact", "Removing and blocking contacts"). Pure functions over the contact list;
 * pairing asks them before it dials an invite (invite-dialer.svelte.ts) and before it admits an
 * invitee (invite-listener.ts), and the contact loop asks them in its own reset rooms.
 *
 * Why: a key that a contact used before an accepted key change is exactly what a thief of an old
 * device or backup holds. Pairing with it again (an invite is easy to ask for) used to overwrite
 * the contact's record — the key rolled back, the verified mark and a pending key-change warning
 * dropped, the session replaced, the outbox re-sealed to the thief. Now such a key, a contact's
 * pending new key, and a blocked contact's key are refused, and the contact's own current key is
 * the same contact: nothing about it is overwritten.
 * @module
 */
import type { ContactRecord } from '../store/db';
import { equalBytes } from '@noble/ciphers/utils.js';
import { hexToBytes as fromHex } from '@noble/hashes/utils.js';

/** Most former keys kept per contact (older ones drop off first; docs/key-change.md §2). */
export const MAX_FORMER_KEYS = 32;

/** Why a key may not pair: the stable codes the person sees (src/app/errors.ts). */
export type PairingRefusalCode = 'PAIRING_FORMER_KEY' | 'PAIRING_PENDING_KEY' | 'PAIRING_BLOCKED_KEY';

/** What pairing with `key` would mean for the existing contacts. */
export type PairingVerdict =
  | { kind: 'new' }
  /** The contact's current key: the same contact; its record, session and key-change state stay. */
  | { kind: 'same'; contact: ContactRecord }
  | { kind: 'refused'; code: PairingRefusalCode; contact: ContactRecord };

type Guarded = Pick<ContactRecord, 'key' | 'publicKey' | 'formerKeys' | 'keyChange' | 'blocked'>;

/**
 * The keys a contact used before its current one: the recorded former keys, and — for records
 * from before former keys were kept — the key it was paired with (the record's id, docs/key-change.md §2).
 */
export function formerKeysOf(c: Guarded): Uint8Array[] {
  const out = (c.formerKeys ?? []).filter((k) => !equalBytes(k, c.publicKey));
  const first = /^[0-9a-f]{64}$/.test(c.key) ? fromHex(c.key) : null;
  if (first && !equalBytes(first, c.publicKey) && !out.some((k) => equalBytes(k, first))) out.unshift(first);
  return out.slice(-MAX_FORMER_KEYS);
}

/** `c` after its key `old` was replaced: `old` joins the former keys (the newest {@link MAX_FORMER_KEYS} are kept). */
export function withFormerKey<C extends Guarded>(c: C, old: Uint8Array): C {
  const kept = formerKeysOf(c).filter((k) => !equalBytes(k, old));
  return { ...c, formerKeys: [...kept, old.slice()].slice(-MAX_FORMER_KEYS) };
}

/**
 * What pairing with `key` means (docs/security.md "Pairing never changes a contact"): blocked
 * wins over everything; then a contact's current key is that contact; a contact's former or
 * pending key is refused; anything else is a new contact.
 */
export function pairingVerdict(contacts: readonly ContactRecord[], key: Uint8Array): PairingVerdict {
  const blocked = contacts.find((c) => c.blocked && isAnyKeyOf(c, key));
  if (blocked) return { kind: 'refused', code: 'PAIRING_BLOCKED_KEY', contact: blocked };
  const current = contacts.find((c) => equalBytes(c.publicKey, key));
  if (current) return { kind: 'same', contact: current };
  const former = contacts.find((c) => formerKeysOf(c).some((k) => equalBytes(k, key)));
  if (former) return { kind: 'refused', code: 'PAIRING_FORMER_KEY', contact: former };
  const pending = contacts.find((c) => c.keyChange && equalBytes(c.keyChange.newKey, key));
  if (pending) return { kind: 'refused', code: 'PAIRING_PENDING_KEY', contact: pending };
  return { kind: 'new' };
}

/**
 * Whether a caller presenting `key` in our own reset room for `contact` may complete the
 * handshake (docs/key-change.md §3). The contact's own key, yes, unless blocked. Another key is a
 * possible key change — except a blocked key, a key any contact used before (a thief of an old
 * key who also holds the contact secret from the same old backup), or another contact's key.
 */
export function admitsAtOwnReset(contacts: readonly ContactRecord[], contact: ContactRecord, key: Uint8Array): boolean {
  if (contact.blocked) return false;
  if (equalBytes(contact.publicKey, key)) return true;
  return contacts.every(
    (c) =>
      !(c.blocked && isAnyKeyOf(c, key)) &&
      !formerKeysOf(c).some((k) => equalBytes(k, key)) &&
      (c.key === contact.key || !equalBytes(c.publicKey, key)),
  );
}

/** Whether the contact loop meets this contact at all: not once it is blocked (or gone). */
export function meetsContact<C extends Pick<ContactRecord, 'blocked'>>(c: C | undefined): c is C {
  return !!c && !c.blocked;
}

function isAnyKeyOf(c: Guarded, key: Uint8Array): boolean {
  return (
    equalBytes(c.publicKey, key) ||
    (!!c.keyChange && equalBytes(c.keyChange.newKey, key)) ||
    formerKeysOf(c).some((k) => equalBytes(k, key))
  );
}

/**
 * The existing contact a backup's contact is (the same identity restored again, docs/backup.md
 * §6): the one with that key now, or one that knows it as a former key, or one whose current key
 * the backup lists as former.
 */
export function restoredMatch(
  contacts: readonly ContactRecord[],
  c: Pick<ContactRecord, 'publicKey' | 'formerKeys'>,
): ContactRecord | undefined {
  return (
    contacts.find((x) => equalBytes(x.publicKey, c.publicKey)) ??
    contacts.find((x) => formerKeysOf(x).some((k) => equalBytes(k, c.publicKey))) ??
    contacts.find((x) => (c.formerKeys ?? []).some((k) => equalBytes(k, x.publicKey)))
  );
}

/**
 * A backup's contact restored over the record `old` of the same contact: the backup's fields,
 * except that nothing this browser learnt since is undone — a key the backup holds that this
 * browser knows was replaced stays replaced (record kept as it is), former keys add up, a pending
 * key change and the last-seen time stay, and blocked stays blocked.
 */
export function restoredContact(old: ContactRecord | undefined, c: ContactRecord): ContactRecord {
  if (!old) return c;
  const formerKeys = unique([...formerKeysOf(old), ...formerKeysOf(c)]);
  const blocked = !!(old.blocked || c.blocked);
  const mark = (r: ContactRecord): ContactRecord => {
    const former = formerKeys.filter((k) => !equalBytes(k, r.publicKey));
    return { ...r, ...(former.length ? { formerKeys: former } : {}), ...(blocked ? { blocked } : {}) };
  };
  if (formerKeysOf(old).some((k) => equalBytes(k, c.publicKey))) return mark(old);
  const pending = old.keyChange && !equalBytes(old.keyChange.newKey, c.publicKey) ? { keyChange: old.keyChange } : {};
  return mark({ ...c, key: old.key, lastSeen: old.lastSeen, ...pending });
}

function unique(keys: Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const k of keys) if (!out.some((x) => equalBytes(x, k))) out.push(k);
  return out.slice(-MAX_FORMER_KEYS);
}
