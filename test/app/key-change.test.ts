// The pending key-change state (docs/key-change.md §2): recorded, shown, accepted or refused;
// nothing may be sent while it is pending, and the known key only changes by acceptance.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  acceptKeyChange,
  keyChangeWarning,
  KeyChangeError,
  noteKeyChange,
  refuseKeyChange,
  sendBlock,
} from '../../src/app/key-change';
import { identityFromSeed, safetyNumber } from '../../src/core/identity';
import { bytesToHex as toHex } from '@noble/hashes/utils.js';
import { formerKeysOf } from '../../src/app/contact-guard';
import type { ContactRecord } from '../../src/store/db';

const key = (n: number) => identityFromSeed(new Uint8Array(32).fill(n)).publicKey;
const ME = key(1);
const OLD = key(2);
const NEW = key(3);
const OTHER = key(4);

function bob(extra: Partial<ContactRecord> = {}): ContactRecord {
  return {
    key: toHex(OLD),
    publicKey: OLD,
    name: 'Bob',
    contactSecret: new Uint8Array(32).fill(9),
    addedAt: 1,
    lastSeen: 2,
    verified: true,
    ...extra,
  };
}

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof KeyChangeError ? e.code : 'other';
  }
  return undefined;
}

describe('key change', () => {
  it('the known key changes nothing; a new key becomes pending and blocks sending', () => {
    const c = bob();
    expect(noteKeyChange(c, OLD.slice(), 10)).toBe(c);
    expect(sendBlock(c)).toBeNull();
    const p = noteKeyChange(c, NEW, 10);
    expect(p.publicKey).toEqual(OLD);
    expect(p.verified).toBe(true);
    expect(p.keyChange).toEqual({ newKey: NEW, seenAt: 10 });
    const block = sendBlock(p);
    expect(block?.code).toBe('CONTACT_KEY_CHANGED');
    expect(block?.message).toContain('Bob');
    expect(block?.action).toContain('safety number');
  });

  it('the same new key again keeps the first sighting; another one replaces it; the old key again leaves it pending', () => {
    const p = noteKeyChange(bob(), NEW, 10);
    expect(noteKeyChange(p, NEW, 20)).toBe(p);
    expect(noteKeyChange(p, OLD, 20)).toBe(p);
    expect(noteKeyChange(p, OTHER, 30).keyChange).toEqual({ newKey: OTHER, seenAt: 30 });
  });

  it('refuses malformed and small-order keys with a typed error and leaves the record alone', () => {
    const smallOrder = new Uint8Array(32);
    smallOrder[0] = 1; // the identity point
    const c = bob();
    expect(codeOf(() => noteKeyChange(c, smallOrder, 1))).toBe('KEY_CHANGE_INVALID_KEY');
    expect(codeOf(() => noteKeyChange(c, NEW.subarray(0, 31), 1))).toBe('KEY_CHANGE_INVALID_KEY');
    expect(c.keyChange).toBeUndefined();
  });

  it('accepting replaces the key, clears the verified mark and keeps the record id; refusing keeps the old key', () => {
    const p = noteKeyChange(bob(), NEW, 10);
    const a = acceptKeyChange(p);
    expect(a.publicKey).toEqual(NEW);
    expect(a.key).toBe(toHex(OLD));
    expect(a.verified).toBe(false);
    expect(a.keyChange).toBeUndefined();
    expect(sendBlock(a)).toBeNull();
    const r = refuseKeyChange(p);
    expect(r.publicKey).toEqual(OLD);
    expect(r.verified).toBe(true);
    expect(r.keyChange).toBeUndefined();
    expect(codeOf(() => acceptKeyChange(bob()))).toBe('KEY_CHANGE_NONE_PENDING');
    expect(codeOf(() => refuseKeyChange(bob()))).toBe('KEY_CHANGE_NONE_PENDING');
  });

  it('the warning shows the safety number with the new key, not the old one', () => {
    expect(keyChangeWarning(bob(), ME)).toBeNull();
    const w = keyChangeWarning(noteKeyChange(bob(), NEW, 10), ME)!;
    expect(w.newSafetyNumber).toBe(safetyNumber(ME, NEW));
    expect(w.newSafetyNumber).not.toBe(safetyNumber(ME, OLD));
    expect(w).toMatchObject({ name: 'Bob', chosenName: 'Bob', seenAt: 10 });
  });

  it('a label does not hide the name the contact chose: the warning carries both', () => {
    const w = keyChangeWarning(noteKeyChange({ ...bob(), label: 'My bank' }, NEW, 10), ME)!;
    expect(w).toMatchObject({ name: 'My bank', chosenName: 'Bob' });
  });

  it('property: whatever keys are presented, the known key changes only by acceptance, to the key shown in the warning', () => {
    const keys = [OLD, NEW, OTHER, key(5)];
    const step = fc.oneof(
      fc.record({ t: fc.constant('see' as const), k: fc.integer({ min: 0, max: keys.length - 1 }) }),
      fc.record({ t: fc.constantFrom('accept' as const, 'refuse' as const) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 30 }), (steps) => {
        let c = bob();
        let now = 0;
        for (const s of steps) {
          const before = c;
          const shown = keyChangeWarning(before, ME);
          if (s.t === 'see' && formerKeysOf(c).some((k) => toHex(k) === toHex(keys[s.k]!))) {
            // A key this contact replaced before is never pending again (contact-guard.ts).
            expect(codeOf(() => noteKeyChange(c, keys[s.k]!, ++now))).toBe('KEY_CHANGE_FORMER_KEY');
            continue;
          }
          if (s.t === 'see') c = noteKeyChange(c, keys[s.k]!, ++now);
          else if (!c.keyChange) {
            expect(codeOf(() => (s.t === 'accept' ? acceptKeyChange : refuseKeyChange)(c))).toBe(
              'KEY_CHANGE_NONE_PENDING',
            );
            continue;
          } else c = s.t === 'accept' ? acceptKeyChange(c) : refuseKeyChange(c);
          if (s.t === 'accept') {
            expect(safetyNumber(ME, c.publicKey)).toBe(shown!.newSafetyNumber);
            expect(c.verified).toBe(false);
          } else {
            expect(c.publicKey).toEqual(before.publicKey);
          }
          expect(sendBlock(c) !== null).toBe(c.keyChange !== undefined);
          if (c.keyChange) expect(c.keyChange.newKey).not.toEqual(c.publicKey);
        }
      }),
    );
  });
});
