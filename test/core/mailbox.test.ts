/**
 * Mailbox blobs and addresses (src/core/mailbox.ts, docs/protocol-app.md §3.6) and the daily
 * per-direction mailbox secrets (src/net/session-derive.ts, docs/session.md §7): known answers,
 * node:crypto cross-checks, padding to the size classes, tampering, and the unlinkability of one
 * contact's addresses across days.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { hkdfSync, randomBytes } from 'node:crypto';
import vectors from '../vectors/parley-mailbox.json';
import {
  MAILBOX_SIZE_CLASSES,
  MAX_MAILBOX_PLAINTEXT,
  mailboxAddress,
  mailboxClassFor,
  mailboxDays,
  openMailboxBlob,
  sealMailboxBlob,
} from '../../src/core/mailbox';
import { mailboxDaySecret, sessionDaySecret } from '../../src/net/session-derive';
import { roomId } from '../../src/core/rendezvous';
import { MAILBOX_SIZE_CLASSES as RELAY_CLASSES } from '../../server/protocol-mailbox';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const rnd = (n: number) => Uint8Array.from(randomBytes(n));
const hkdf = (ikm: Uint8Array, info: Uint8Array | string) =>
  new Uint8Array(hkdfSync('sha256', ikm, new Uint8Array(0), info, 32));
const u64 = (d: number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(d));
  return b;
};

function opened(r: ReturnType<typeof openMailboxBlob>): Uint8Array {
  if (!r.ok) throw new Error(`expected ok, got ${r.code}: ${r.message}`);
  return r.plaintext;
}

describe('mailbox: known answers (test/vectors/parley-mailbox.json)', () => {
  const roomKey = hex(vectors.roomKey);
  const keys = { alice: hex(vectors.recipients.alice), bob: hex(vectors.recipients.bob) };

  it('daily secrets, addresses and sealed blobs match the vectors', () => {
    for (const v of vectors.secrets) {
      const secret = mailboxDaySecret(roomKey, keys[v.recipient as 'alice' | 'bob'], v.day);
      expect(toHex(secret)).toBe(v.secret);
      expect(mailboxAddress(secret)).toBe(v.address);
    }
    const secret = hex(vectors.secrets.find((s) => s.recipient === 'bob')!.secret);
    for (const b of vectors.blobs) {
      expect(toHex(sealMailboxBlob(secret, hex(b.plaintext), () => hex(vectors.nonce)))).toBe(b.sealed);
      expect(toHex(opened(openMailboxBlob(secret, hex(b.sealed))))).toBe(b.plaintext);
    }
  });

  it('follows the documented HKDF definitions (node:crypto)', () => {
    for (const v of vectors.secrets) {
      const key = keys[v.recipient as 'alice' | 'bob'];
      const info = Buffer.concat([Buffer.from('parley/mailbox/day/1'), key, u64(v.day)]);
      expect(toHex(hkdf(roomKey, info))).toBe(v.secret);
      expect(v.address).toBe(Buffer.from(hkdf(hex(v.secret), 'parley/mailbox/address/1')).toString('base64url'));
    }
  });
});

describe('mailbox blobs', () => {
  it('the relay and the client agree on the size classes', () => {
    expect([...MAILBOX_SIZE_CLASSES]).toEqual([...RELAY_CLASSES]);
  });

  it('round-trip any plaintext, padded to the smallest class that fits', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.integer({ min: 0, max: MAX_MAILBOX_PLAINTEXT }),
        (s, n) => {
          const plaintext = rnd(n);
          const blob = sealMailboxBlob(s, plaintext, rnd);
          expect(blob.length).toBe(MAILBOX_SIZE_CLASSES.find((c) => n + 45 <= c));
          expect(Buffer.from(opened(openMailboxBlob(s, blob))).equals(plaintext)).toBe(true); // toEqual is slow on 32 KiB
        },
      ),
      { numRuns: 60 },
    );
    expect(mailboxClassFor(1024 - 45)).toBe(1024);
    expect(mailboxClassFor(1024 - 44)).toBe(4096);
    expect(mailboxClassFor(MAX_MAILBOX_PLAINTEXT + 1)).toBeNull();
    expect(() => sealMailboxBlob(rnd(32), rnd(MAX_MAILBOX_PLAINTEXT + 1), rnd)).toThrow(RangeError);
  });

  it('any flipped bit is refused, never opened to other bytes', () => {
    const secret = rnd(32);
    const blob = sealMailboxBlob(secret, new TextEncoder().encode('hello Bob'), rnd);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: blob.length * 8 - 1 }), (bit) => {
        const bad = blob.slice();
        bad[bit >> 3]! ^= 1 << (bit & 7);
        const r = openMailboxBlob(secret, bad);
        expect(r.ok).toBe(false);
        expect(['MAILBOX_BLOB_BAD_SEAL', 'MAILBOX_BLOB_MALFORMED']).toContain(!r.ok && r.code);
      }),
      { numRuns: 300 },
    );
  });

  it('a blob sealed under another secret (a stranger, or another day) is BAD_SEAL; odd lengths MALFORMED', () => {
    const blob = sealMailboxBlob(rnd(32), rnd(10), rnd);
    expect(openMailboxBlob(rnd(32), blob)).toMatchObject({ ok: false, code: 'MAILBOX_BLOB_BAD_SEAL' });
    expect(openMailboxBlob(rnd(32), blob.subarray(0, 1000))).toMatchObject({
      ok: false,
      code: 'MAILBOX_BLOB_MALFORMED',
    });
    expect(openMailboxBlob(rnd(32), new Uint8Array(2048))).toMatchObject({ ok: false, code: 'MAILBOX_BLOB_MALFORMED' });
  });
});

describe('mailbox addresses of one contact', () => {
  const roomKey = rnd(32);
  const alice = rnd(32);
  const bob = rnd(32);

  it('differ per day and per direction, and from every room of the same session', () => {
    const values = [];
    for (const day of [20_000, 20_001, 20_002]) {
      values.push(mailboxAddress(mailboxDaySecret(roomKey, alice, day)));
      values.push(mailboxAddress(mailboxDaySecret(roomKey, bob, day)));
      values.push(roomId(sessionDaySecret(roomKey, day)));
    }
    expect(new Set(values).size).toBe(values.length);
  });

  it('are unlinkable across days without the room key: no derivation from what the relay sees reaches the next day', () => {
    // The relay sees today's address and blobs, and may know both public keys and the day numbers.
    // Everything it can compute from those must miss tomorrow's address (which needs roomKey).
    const today = mailboxAddress(mailboxDaySecret(roomKey, bob, 20_000));
    const tomorrow = mailboxAddress(mailboxDaySecret(roomKey, bob, 20_001));
    const seen = Uint8Array.from(Buffer.from(today, 'base64url'));
    const guesses = [
      mailboxAddress(mailboxDaySecret(seen, bob, 20_001)), // today's address used as the key
      mailboxAddress(hkdf(seen, Buffer.concat([Buffer.from('parley/mailbox/day/1'), bob, u64(20_001)]))),
      mailboxAddress(seen),
      mailboxAddress(mailboxDaySecret(bob, bob, 20_001)), // the recipient's public key as the key
      mailboxAddress(mailboxDaySecret(alice, bob, 20_001)),
    ];
    expect(guesses).not.toContain(tomorrow);
    // And the two addresses look independent: about half their bits differ.
    const a = Buffer.from(today, 'base64url');
    const b = Buffer.from(tomorrow, 'base64url');
    let differing = 0;
    for (let i = 0; i < 32; i++) for (let x = a[i]! ^ b[i]!; x; x &= x - 1) differing++;
    expect(differing).toBeGreaterThan(80);
    expect(differing).toBeLessThan(176);
    // With another session (a new kx: a new room key) the whole series changes.
    expect(mailboxAddress(mailboxDaySecret(rnd(32), bob, 20_001))).not.toBe(tomorrow);
  });

  it('refuse bad arguments by name', () => {
    expect(() => mailboxDaySecret(rnd(31), bob, 1)).toThrow(/roomKey/);
    expect(() => mailboxDaySecret(roomKey, rnd(31), 1)).toThrow(/recipientKey/);
    expect(() => mailboxDaySecret(roomKey, bob, -1)).toThrow(/day/);
  });
});

describe('mailboxDays', () => {
  const DAY = 86_400_000;
  it('covers every day a blob may still be kept, and tomorrow near midnight', () => {
    const now = 20_000 * DAY + 12 * 3600_000;
    expect(mailboxDays(now, 7 * 86400)).toEqual([19_993, 19_994, 19_995, 19_996, 19_997, 19_998, 19_999, 20_000]);
    expect(mailboxDays(now, 7 * 86400, 19_999)).toEqual([19_999, 20_000]);
    expect(mailboxDays(20_001 * DAY - 60_000, 86400, 20_000)).toEqual([20_000, 20_001]);
    expect(mailboxDays(now, 86400, 30_000)).toEqual([20_000]); // a future sinceDay means today
  });
});
