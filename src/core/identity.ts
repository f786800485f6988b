/**
 * Long-term identity: an Ed25519 key pair, and the strings people compare to check one
 * (DESIGN.md "Layers: identity"; docs/protocol-app.md §1).
 *
 * The secret key uses libsodium's 64-byte layout (seed ‖ public key), the layout `shs.ts`
 * expects. Randomness is passed in so the module stays pure and tests are deterministic.
 * @module
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { concatBytes } from '@noble/hashes/utils.js';
import { assertBytes } from './errors';

/** An Ed25519 key pair in libsodium layout, the form every protocol takes it in (shs.ts, kx.ts). */
export interface Ed25519KeyPair {
  /** 32 bytes. */
  publicKey: Uint8Array;
  /** 64 bytes: seed ‖ publicKey. */
  secretKey: Uint8Array;
}

/** This person's long-term identity: an Ed25519 key pair. */
export type Identity = Ed25519KeyPair;

/** A source of cryptographically secure random bytes, e.g. `randomBytes` of @noble/hashes/utils.js. */
export type RandomSource = (n: number) => Uint8Array;

/** Returns `n` bytes from `random`, throwing if the source misbehaves (a programmer mistake). */
export function randomBytesFrom(random: RandomSource, n: number, name = 'random'): Uint8Array {
  if (typeof random !== 'function') throw new TypeError(`${name}: expected a function (n) => Uint8Array`);
  const bytes = random(n);
  if (!(bytes instanceof Uint8Array) || bytes.length !== n)
    throw new TypeError(`${name}: must return a Uint8Array of ${n} bytes`);
  return Uint8Array.from(bytes);
}

/** Derives the identity for a 32-byte Ed25519 seed (RFC 8032 §5.1.5) (docs/protocol-app.md §1). */
export function identityFromSeed(seed: Uint8Array): Identity {
  assertBytes('seed', seed, 32);
  const publicKey = ed25519.getPublicKey(seed);
  const secretKey = new Uint8Array(64);
  secretKey.set(seed, 0);
  secretKey.set(publicKey, 32);
  return { publicKey, secretKey };
}

/** Generates a fresh identity from 32 bytes of `random` (docs/protocol-app.md §1). */
export function generateIdentity(random: RandomSource): Identity {
  const seed = randomBytesFrom(random, 32);
  const identity = identityFromSeed(seed);
  seed.fill(0);
  return identity;
}

/**
 * True if `publicKey` is 32 bytes encoding a canonical Ed25519 point that is not of small order.
 * Small-order keys are refused everywhere: with them a forged signature can verify (NOTES.md).
 */
export function isValidPublicKey(publicKey: Uint8Array): boolean {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) return false;
  try {
    const point = ed25519.Point.fromBytes(publicKey, false);
    return !point.isSmallOrder();
  } catch {
    return false;
  }
}

const enc = new TextEncoder();
const FINGERPRINT_LABEL = enc.encode('parley/fingerprint/1');
const SAFETY_LABEL = enc.encode('parley/safety-number/1');
// Crockford's base32: no I, L, O, U, so nothing reads as another character aloud.
const BASE32 = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * A short label for one key, for lists and logs ("7K3Q-MZ9A-…"): 80 bits of
 * sha256("parley/fingerprint/1" ‖ key) in Crockford base32, four groups of four.
 * Not for verifying a contact: use {@link safetyNumber} for that (docs/protocol-app.md §1).
 * Never send it to the relay (DESIGN.md "What the signaling server may learn").
 */
export function fingerprint(publicKey: Uint8Array): string {
  assertBytes('publicKey', publicKey, 32);
  const digest = sha256(concatBytes(FINGERPRINT_LABEL, publicKey)).subarray(0, 10);
  let bits = 0;
  let acc = 0;
  let out = '';
  for (const b of digest) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32[(acc >> bits) & 31];
    }
    acc &= 0xff;
  }
  return out.match(/.{4}/g)!.join('-');
}

/**
 * The safety number two contacts compare (read aloud, or side by side) to rule out a man in the
 * middle: 60 digits in 12 groups of 5, the same on both sides whatever the argument order.
 * Each group is 5 bytes of sha512("parley/safety-number/1" ‖ lowKey ‖ highKey) mod 100000,
 * keys sorted bytewise (docs/protocol-app.md §1).
 */
export function safetyNumber(keyA: Uint8Array, keyB: Uint8Array): string {
  assertBytes('keyA', keyA, 32);
  assertBytes('keyB', keyB, 32);
  const [low, high] = compareBytes(keyA, keyB) <= 0 ? [keyA, keyB] : [keyB, keyA];
  const digest = sha512(concatBytes(SAFETY_LABEL, low, high));
  const groups: string[] = [];
  for (let g = 0; g < 12; g++) {
    let n = 0;
    for (let i = 0; i < 5; i++) n = n * 256 + digest[g * 5 + i]!;
    groups.push(String(n % 100000).padStart(5, '0'));
  }
  return groups.join(' ');
}

/** Bytewise comparison (negative, zero, positive), as used for "the lower key" rules. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}
