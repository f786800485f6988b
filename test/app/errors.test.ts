import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { appError, type AppErrorCode } from '../../src/app/errors';
import { equalBytes } from '@noble/ciphers/utils.js';
import { bytesToHex as toHex, hexToBytes as fromHex } from '@noble/hashes/utils.js';
import { compareBytes } from '../../src/core/identity';
import { cleanName } from '../../src/app/names';

const CODES: AppErrorCode[] = [
  'INVITE_MALFORMED',
  'INVITE_TAMPERED',
  'INVITE_EXPIRED',
  'INVITE_VERSION',
  'INVITE_USED',
  'INVITE_REJECTED',
  'INVITE_OWN',
  'FRIEND_OFFLINE',
  'RELAY_DOWN',
  'HANDSHAKE_FAILED',
  'CONNECTION_FAILED',
  'TURN_UNAVAILABLE',
  'STORAGE_FAILED',
  'CONTACT_KEY_CHANGED',
  'INVITE_KEY_REFUSED',
  'PAIRING_FORMER_KEY',
  'PAIRING_PENDING_KEY',
  'PAIRING_BLOCKED_KEY',
  'CONTACT_BLOCKED',
];

describe('person-facing errors', () => {
  it('every code says what happened and what to do, and keeps its code', () => {
    const messages = new Set<string>();
    for (const code of CODES) {
      const e = appError(code, 'Alice');
      expect(e.code).toBe(code);
      expect(e.message.length).toBeGreaterThan(10);
      expect(e.action.length).toBeGreaterThan(10);
      messages.add(e.message);
    }
    expect(messages.size).toBe(CODES.length);
  });
  it('the interference and offline messages read as the product promises', () => {
    expect(appError('HANDSHAKE_FAILED').message).toBe(
      'This connection could not be verified — someone may be interfering.',
    );
    expect(appError('FRIEND_OFFLINE', 'Alice').message).toBe('Waiting for Alice to come online.');
  });
});

describe('app byte helpers', () => {
  it('hex round-trips; compareBytes orders like the hex strings; equalBytes agrees with it', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 40 }), (a, b) => {
        expect(fromHex(toHex(a))).toEqual(a);
        const c = compareBytes(a, b);
        const h = toHex(a) < toHex(b) ? -1 : toHex(a) > toHex(b) ? 1 : 0;
        expect(Math.sign(c)).toBe(h);
        expect(equalBytes(a, b)).toBe(c === 0);
      }),
    );
  });
});

describe('names from peers', () => {
  it('are cleaned of control characters and capped, and non-strings become empty', () => {
    expect(cleanName('  Bob\u0000\n  Smith ')).toBe('Bob Smith');
    expect(cleanName(42)).toBe('');
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        const n = cleanName(s);
        expect(new TextEncoder().encode(n).length).toBeLessThanOrEqual(64);
        expect(/\p{Cc}/u.test(n)).toBe(false);
      }),
    );
  });
});
