import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createHash, randomBytes } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import {
  compareBytes,
  fingerprint,
  generateIdentity,
  identityFromSeed,
  isValidPublicKey,
  safetyNumber,
} from '../../src/core/identity';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));

describe('identity', () => {
  it('derives the RFC 8032 test 1 key, in libsodium layout (seed ‖ public key)', () => {
    const seed = hex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
    const id = identityFromSeed(seed);
    expect(Buffer.from(id.publicKey).toString('hex')).toBe(
      'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    );
    expect(id.secretKey.length).toBe(64);
    expect(Buffer.from(id.secretKey.subarray(0, 32))).toEqual(Buffer.from(seed));
    expect(Buffer.from(id.secretKey.subarray(32))).toEqual(Buffer.from(id.publicKey));
    // RFC 8032 test 1 signature of the empty message.
    const sig = ed25519.sign(new Uint8Array(0), id.secretKey.subarray(0, 32));
    expect(Buffer.from(sig).toString('hex')).toBe(
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
    );
  });

  it('generateIdentity takes its seed from the random source', () => {
    const seed = randomBytes(32);
    const id = generateIdentity((n) => {
      expect(n).toBe(32);
      return Uint8Array.from(seed);
    });
    expect(id).toEqual(identityFromSeed(Uint8Array.from(seed)));
    const a = generateIdentity((n) => Uint8Array.from(randomBytes(n)));
    const b = generateIdentity((n) => Uint8Array.from(randomBytes(n)));
    expect(Buffer.from(a.publicKey)).not.toEqual(Buffer.from(b.publicKey));
  });

  it('throws on a misbehaving random source or a wrong seed (programmer mistakes)', () => {
    expect(() => generateIdentity(() => new Uint8Array(16))).toThrow(/random/);
    expect(() => identityFromSeed(new Uint8Array(31))).toThrow(/seed: expected 32 bytes/);
  });

  it('isValidPublicKey accepts real keys and refuses small-order and non-canonical encodings', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (seed) =>
        isValidPublicKey(identityFromSeed(seed).publicKey),
      ),
      { numRuns: 50 },
    );
    const identityPoint = new Uint8Array(32);
    identityPoint[0] = 1;
    expect(isValidPublicKey(identityPoint)).toBe(false); // order 1
    expect(isValidPublicKey(new Uint8Array(32))).toBe(false); // y = 0: order 4
    expect(isValidPublicKey(hex('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'))).toBe(false); // y = -1: order 2
    expect(isValidPublicKey(hex('edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'))).toBe(false); // y = p: non-canonical
    expect(isValidPublicKey(new Uint8Array(31))).toBe(false);
  });

  it('safety number: 12 groups of 5 digits, symmetric, matching an independent computation', () => {
    const a = identityFromSeed(new Uint8Array(32).fill(1)).publicKey;
    const b = identityFromSeed(new Uint8Array(32).fill(2)).publicKey;
    const n = safetyNumber(a, b);
    expect(n).toMatch(/^\d{5}( \d{5}){11}$/);
    expect(safetyNumber(b, a)).toBe(n);
    const [low, high] = Buffer.compare(Buffer.from(a), Buffer.from(b)) < 0 ? [a, b] : [b, a];
    const d = createHash('sha512').update('parley/safety-number/1').update(low).update(high).digest();
    const expected = Array.from({ length: 12 }, (_, g) =>
      String(Number(d.readBigUInt64BE(g * 5) >> 24n) % 100000).padStart(5, '0'),
    ).join(' ');
    expect(n).toBe(expected);
  });

  it('safety number changes when either key changes (a man in the middle shows)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.integer({ min: 0, max: 255 }),
        (a, b, bit) => {
          const b2 = Uint8Array.from(b);
          b2[bit >> 3]! ^= 1 << (bit & 7);
          return safetyNumber(a, b) === safetyNumber(b, a) && safetyNumber(a, b) !== safetyNumber(a, b2);
        },
      ),
    );
  });

  it('fingerprint: 4 groups of 4 Crockford base32 characters from sha256(label ‖ key)', () => {
    const key = hex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
    const f = fingerprint(key);
    expect(f).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
    const d = createHash('sha256').update('parley/fingerprint/1').update(key).digest();
    let bits = '';
    for (const byte of d.subarray(0, 10)) bits += byte.toString(2).padStart(8, '0');
    const chars = bits
      .match(/.{5}/g)!
      .map((b) => '0123456789ABCDEFGHJKMNPQRSTVWXYZ'[parseInt(b, 2)])
      .join('');
    expect(f.replaceAll('-', '')).toBe(chars);
  });

  it('compareBytes orders bytewise', () => {
    expect(compareBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBeLessThan(0);
    expect(compareBytes(Uint8Array.of(2), Uint8Array.of(1, 3))).toBeGreaterThan(0);
    expect(compareBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBe(0);
  });
});
