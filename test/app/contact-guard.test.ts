// Which keys may pair or meet us as a contact (src/app/contact-guard.ts; docs/security.md
// "Pairing never changes a contact", "Removing and blocking contacts"). The attacker holds a key a
// contact replaced, a key waiting for acceptance, or a blocked key.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  admitsAtOwnReset,
  formerKeysOf,
  MAX_FORMER_KEYS,
  meetsContact,
  pairingVerdict,
  restoredContact,
  restoredMatch,
  withFormerKey,
} from '../../src/app/contact-guard';
import { acceptKeyChange, KeyChangeError, noteKeyChange } from '../../src/app/key-change';
import { identityFromSeed } from '../../src/core/identity';
import { bytesToHex as toHex } from '@noble/hashes/utils.js';
import type { ContactRecord } from '../../src/store/db';

const key = (n: number) => identityFromSeed(new Uint8Array(32).fill(n)).publicKey;
const OLD = key(2);
const NEW = key(3);
const PENDING = key(4);
const CAROL = key(5);
const STRANGER = key(6);

function contact(publicKey: Uint8Array, extra: Partial<ContactRecord> = {}): ContactRecord {
  return {
    key: toHex(publicKey),
    publicKey,
    name: 'Bob',
    contactSecret: new Uint8Array(32).fill(9),
    addedAt: 1,
    lastSeen: 2,
    ...extra,
  };
}

/** Bob after Alice accepted his new key: the record that the thief of his old key attacks. */
function bobAfterKeyChange(): ContactRecord {
  return acceptKeyChange(noteKeyChange(contact(OLD, { verified: true }), NEW, 10));
}

describe('pairing never changes a contact', () => {
  it('attack: the replaced key of a contact is refused (PAIRING_FORMER_KEY); the record keeps its current key', () => {
    const bob = bobAfterKeyChange();
    expect(bob.publicKey).toEqual(NEW);
    expect(bob.formerKeys).toEqual([OLD]);
    const v = pairingVerdict([bob], OLD);
    expect(v).toMatchObject({ kind: 'refused', code: 'PAIRING_FORMER_KEY' });
    if (v.kind === 'refused') expect(v.contact.key).toBe(bob.key);
  });

  it('attack: a key waiting for acceptance is refused (PAIRING_PENDING_KEY), so pairing cannot settle a key change', () => {
    const bob = noteKeyChange(contact(OLD, { verified: true }), PENDING, 10);
    expect(pairingVerdict([bob], PENDING)).toMatchObject({ kind: 'refused', code: 'PAIRING_PENDING_KEY' });
  });

  it('attack: every key of a blocked contact is refused (PAIRING_BLOCKED_KEY), its current one too', () => {
    const bob = { ...noteKeyChange(bobAfterKeyChange(), PENDING, 20), blocked: true };
    for (const k of [OLD, NEW, PENDING])
      expect(pairingVerdict([bob], k)).toMatchObject({ kind: 'refused', code: 'PAIRING_BLOCKED_KEY' });
  });

  it('the current key is the same contact (nothing to overwrite); a stranger is new', () => {
    const bob = noteKeyChange(bobAfterKeyChange(), PENDING, 20);
    const v = pairingVerdict([bob, contact(CAROL, { name: 'Carol' })], NEW);
    expect(v).toEqual({ kind: 'same', contact: bob });
    expect(pairingVerdict([bob], STRANGER)).toEqual({ kind: 'new' });
  });

  it('a record from before former keys were kept still refuses the key it was paired with (its id)', () => {
    const legacy = { ...contact(OLD), publicKey: NEW }; // accepted key change, no formerKeys field
    expect(formerKeysOf(legacy)).toEqual([OLD]);
    expect(pairingVerdict([legacy], OLD)).toMatchObject({ kind: 'refused', code: 'PAIRING_FORMER_KEY' });
  });

  it('any sequence of accepted key changes leaves every earlier key refused and only the last one current (property)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 10, max: 200 }), { minLength: 1, maxLength: 12 }), (seeds) => {
        let bob = contact(OLD);
        for (const s of seeds) bob = acceptKeyChange(noteKeyChange(bob, key(s), s));
        const all = [OLD, ...seeds.map(key)];
        for (const k of all.slice(0, -1))
          expect(pairingVerdict([bob], k)).toMatchObject({ kind: 'refused', code: 'PAIRING_FORMER_KEY' });
        expect(pairingVerdict([bob], all.at(-1)!)).toMatchObject({ kind: 'same' });
      }),
      { numRuns: 50 },
    );
  });

  it('keeps at most MAX_FORMER_KEYS former keys, dropping the oldest', () => {
    let bob = contact(OLD);
    for (let i = 0; i < MAX_FORMER_KEYS + 3; i++) bob = withFormerKey(bob, key(20 + i));
    expect(formerKeysOf(bob)).toHaveLength(MAX_FORMER_KEYS);
    expect(formerKeysOf(bob).at(-1)).toEqual(key(20 + MAX_FORMER_KEYS + 2));
  });
});

describe('our own reset room (docs/key-change.md §3)', () => {
  it('attack: a thief of an old backup (old key and the contact secret) cannot raise a key change with the old key', () => {
    const bob = bobAfterKeyChange();
    expect(admitsAtOwnReset([bob], bob, OLD)).toBe(false);
    expect(() => noteKeyChange(bob, OLD, 30)).toThrow(KeyChangeError);
    expect(admitsAtOwnReset([bob], bob, NEW)).toBe(true);
    expect(admitsAtOwnReset([bob], bob, STRANGER)).toBe(true); // a possible key change: held, warned about
  });

  it('refuses a blocked contact entirely, blocked keys in any room, and another contact posing as this one', () => {
    const bob = bobAfterKeyChange();
    const carol = contact(CAROL, { name: 'Carol' });
    expect(admitsAtOwnReset([{ ...bob, blocked: true }], { ...bob, blocked: true }, NEW)).toBe(false);
    expect(admitsAtOwnReset([bob, { ...carol, blocked: true }], bob, CAROL)).toBe(false);
    expect(admitsAtOwnReset([bob, carol], bob, CAROL)).toBe(false);
    expect(meetsContact({ ...bob, blocked: true })).toBe(false);
    expect(meetsContact(undefined)).toBe(false);
    expect(meetsContact(bob)).toBe(true);
  });
});

describe('restoring the same identity from an older backup', () => {
  it('attack: an old backup holding a replaced key does not roll the contact back', () => {
    const now = bobAfterKeyChange();
    const fromBackup = contact(OLD, { verified: true, lastSeen: 0 });
    const match = restoredMatch([now], fromBackup);
    expect(match?.key).toBe(now.key);
    const r = restoredContact(match, fromBackup);
    expect(r.publicKey).toEqual(NEW);
    expect(pairingVerdict([r], OLD)).toMatchObject({ kind: 'refused', code: 'PAIRING_FORMER_KEY' });
  });

  it('a newer backup moves the contact on, keeps the pending change, the last-seen time and the blocked mark', () => {
    const here = { ...noteKeyChange(contact(OLD), PENDING, 5), blocked: true, lastSeen: 77 };
    const fromBackup = { ...contact(NEW, { lastSeen: 0 }), formerKeys: [OLD] };
    const r = restoredContact(restoredMatch([here], fromBackup), fromBackup);
    expect(r.key).toBe(here.key);
    expect(r.publicKey).toEqual(NEW);
    expect(r.keyChange?.newKey).toEqual(PENDING);
    expect(r.blocked).toBe(true);
    expect(r.lastSeen).toBe(77);
    expect(formerKeysOf(r)).toEqual([OLD]);
  });
});
